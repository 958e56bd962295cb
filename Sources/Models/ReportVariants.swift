/// What the `report` variants share: the deviations from the study's code that every one of them makes,
/// and the floor of its warm-up cosine schedules (schedules.md).
public enum ReportVariants {
    public static let deviations = [
        "computed in fp32; the report trained with fp16 autocast on a GPU",
        "warm-up epoch e uses peak x (e + 1) / W and the peak is the table's rate (the report's code started at 0 and jumped to 3e-4)",
        "loss is the masked MSE over real frames (the report's test loss averaged padded batches)",
    ]

    /// The rate the report's cosine schedules end at.
    public static let cosineFloor = 1e-7

    /// The report table's warm-up + cosine schedule with clipping and dropout 0.5, masked MSE.
    static func warmupCosine(batch: Int, accumulation: Int = 1, epochs: Int, optimizer: OptimizerKind, weightDecay: Double,
                             peak: Double, warmup: Int, clip: Double) -> TrainingSchedule {
        TrainingSchedule(batchSize: batch, gradientAccumulation: accumulation, epochs: epochs, optimizer: optimizer,
                         weightDecay: weightDecay, peakLearningRate: peak,
                         learningRateShape: .warmupCosine(warmupEpochs: warmup, minLearningRate: cosineFloor), gradientClip: clip)
    }
}
