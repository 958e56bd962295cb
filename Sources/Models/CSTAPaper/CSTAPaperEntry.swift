/// `csta --variant paper`: CSTA as published (models.md 5.1) on its paper schedule (schedules.md).
extension CSTAPaper {
    public static let variant = VariantEntry(
        .paper,
        options: [
            ModelOption("trunk_weights", .file, default: nil,
                        help: "torchvision-named GoogLeNet weights (safetensors) to start the trunk from; default: from scratch"),
            ModelOption("attention_dropout", .number(0...0.99), default: "0.6", help: "the dropout both attention softmaxes go through"),
        ],
        contract: contract,
        deviations: [
            "computed in fp32",
            "the trunk starts from scratch unless --option trunk_weights=FILE (the official code starts from ImageNet GoogLeNet weights, which cannot be downloaded here); run.json's configuration says which start was used",
            "the epoch is chosen by validation Spearman like every model here (the official code selects on the test fold)",
            "videos shorter than 14 frames are refused before training (the official code fails at the third max-pool)",
        ],
        schedule: { _ in
            TrainingSchedule(batchSize: 1, epochs: 100, optimizer: .adam, weightDecay: 1e-7, peakLearningRate: 1e-3,
                             learningRateShape: .fixed, gradientClip: nil)
        },
        make: { try CSTAPaper(spec: $0) })
}
