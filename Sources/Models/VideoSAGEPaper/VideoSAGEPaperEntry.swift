/// `videosage --variant paper`: GraVi-T's SPELL as published (models.md 5.2), its two configurations and
/// their schedules (schedules.md).
extension VideoSAGEPaper {
    public static let variant = VariantEntry(
        .paper,
        options: [ModelOption("config", .choice(["tvsum", "summe"]), default: "tvsum",
                              help: "the published configuration and its schedule: tvsum (tau 5, c1/c2 256/128; also for MR.HiSum) or summe (tau 10, 128/256)")],
        contract: contract,
        deviations: [
            "computed in fp32",
            "the epoch is chosen by validation Spearman like every model here (the official code keeps the lowest validation loss)",
            "a one-frame training video is normalised to its BatchNorm bias (PyTorch's BatchNorm raises on it)",
            "the temporal graph is a band operator; EdgeConv's first layer runs as per-node products (exact)",
        ],
        schedule: { context in
            // CosineAnnealingLR with T_max 5 stepped per epoch: the rate cycles with a period of 10 epochs.
            let summe = context.options["config"] == "summe"
            return TrainingSchedule(batchSize: 1, epochs: summe ? 40 : 50, optimizer: .adam,
                                    weightDecay: summe ? 3e-3 : 1e-4, peakLearningRate: summe ? 1e-3 : 0.02,
                                    learningRateShape: .cosineAnnealing(tMax: 5, etaMin: 0), gradientClip: nil,
                                    loss: .bceWithLogits)
        },
        make: { try VideoSAGEPaper(spec: $0) })
}
