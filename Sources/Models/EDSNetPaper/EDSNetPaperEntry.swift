/// `edsnet --variant paper`: the published EDSNet, DSNet's anchor-based detector with an efficient token
/// mixer (models.md 5.3), on its paper schedule (schedules.md).
extension EDSNetPaper {
    public static let variant = VariantEntry(
        .paper,
        options: [
            ModelOption("mixer", .choice(["fourier", "nystrom"]), default: "fourier", help: "the token mixer"),
            ModelOption("pooling", .choice(["fft", "roi"]), default: "fft", help: "how anchor features are pooled"),
            ModelOption("scales", .integerList(1...256), default: "4",
                        help: "anchor widths in frames, e.g. 4 or 4,8,16,32 (fft pooling takes one; roi needs even widths)"),
        ],
        contract: contract,
        deviations: [
            "computed in fp32",
            "the epoch is chosen by validation Spearman like every model here",
            "negatives and incomplete anchors are sampled with the project's seeded generator (reproduced in the PyTorch reference), not numpy's",
            "NMS breaks score ties by the higher anchor index (numpy's sort leaves them unspecified)",
            "anchor labels follow the official code: positives IoU > 0.6, incomplete anchors 0 < IoU <= 0.3",
            "a video without a positive anchor has an undefined loss; its step is skipped and counted",
            "the official train script crashes as committed (args.orientation); its evident intent is followed",
        ],
        schedule: { _ in
            TrainingSchedule(batchSize: 1, epochs: 300, optimizer: .adam, weightDecay: 1e-5, peakLearningRate: 5e-5,
                             learningRateShape: .fixed, gradientClip: nil, loss: .anchorClassificationLocation)
        },
        make: { try EDSNetPaper(spec: $0) })
}
