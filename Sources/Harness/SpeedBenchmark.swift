import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// `bench speed`: training steps (forward, backward, optimizer) and inference timed at fixed shapes on
/// random input after warm-up.
public struct SpeedOptions: Sendable {
    public var batch: Int
    public var frames: Int
    public var steps: Int
    public var warmup: Int
    public var seed: UInt64
    /// Side of the square product timed between paired training steps (see `PairedSgemm`).
    public var sgemmProbeSize: Int

    public init(batch: Int = 4, frames: Int = 300, steps: Int = 10, warmup: Int = 2, seed: UInt64 = 0,
                sgemmProbeSize: Int = 1024) {
        self.batch = batch
        self.frames = frames
        self.steps = steps
        self.warmup = warmup
        self.seed = seed
        self.sgemmProbeSize = sgemmProbeSize
    }
}

/// Median and spread of repeated timings.
public struct Timing: Codable, Sendable {
    public var medianMs: Double
    public var minMs: Double
    public var maxMs: Double
    /// Interquartile range.
    public var iqrMs: Double

    public init(_ samplesMs: [Double]) {
        let s = samplesMs.sorted()
        func q(_ p: Double) -> Double { Timing.quantile(s, p) }
        medianMs = q(0.5)
        minMs = s.first!
        maxMs = s.last!
        iqrMs = q(0.75) - q(0.25)
    }

    /// The p-quantile of sorted values by linear interpolation (numpy.percentile's default).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let x = p * Double(sorted.count - 1)
        let i = Int(x.rounded(.down)), j = min(i + 1, sorted.count - 1)
        return sorted[i] + (sorted[j] - sorted[i]) * (x - Double(i))
    }
}

public struct SpeedPhase: Codable, Sendable {
    public var timing: Timing
    public var framesPerSecond: Double
    /// Measured by the tensor core's accounting (matrix products and convolutions) for one step.
    public var measuredFlopsPerStep: Double
    /// From the model's own count: forward FLOPs per frame x frames (x 3 for training: forward + backward).
    public var modelFlopsPerStep: Double
    /// The model's own FLOPs per second (`modelFlopsPerStep` / time): the rate a goal such as "half of
    /// sgemm" is stated in, so an exact rewrite or a fast convolution that skips work counts as speed.
    public var achievedGflops: Double
    /// `achievedGflops` / the sgemm rate measured in the same call.
    public var fractionOfSgemmPeak: Double
    /// What the matrix products actually executed per second (`measuredFlopsPerStep` / time).
    public var executedGflops: Double
}

/// Training's share of the sgemm rate measured around each step instead of once before the model: after
/// the timed steps, `steps` more training steps each sit between two probes (each the faster of two timed
/// n^3 products); a step's share is its model GFLOP/s over the faster of its two neighbouring probes, and the
/// median over steps is reported. On a shared machine the 1024^3 rate moves by up to 2x from one second to
/// the next, so a single measurement at the start can describe a different machine state than the steps.
public struct PairedSgemm: Codable, Sendable {
    public var steps: Int
    public var medianSgemmGflops: Double
    public var medianFractionOfSgemm: Double
}

public struct SpeedResult: Codable, Sendable {
    public var model: String
    public var variant: String
    public var size: String
    public var parameters: Int
    public var batch: Int
    public var frames: Int
    public var threads: Int
    public var steps: Int
    public var train: SpeedPhase
    public var inference: SpeedPhase
    public var peakTensorBytes: Int
    public var peakResidentBytes: Int
    public var sgemmPeakGflops: Double
    public var trainPairedSgemm: PairedSgemm
}

public enum SpeedBenchmark {
    /// Times `schedule`'s training step (the model's own loss, clipping and optimizer, batch size set to
    /// `options.batch`) and inference on one random batch: features uniform in [-2, 2], gtscore uniform in
    /// [0, 1], every frame real, shots of 4-20 frames (seeded) where the model's contract asks for them.
    /// Shots of mixed lengths give keyshot segments short enough for small anchors (EDSNet paper's
    /// default scale 4 needs a segment of 3-6 frames for IoU > 0.6, scale 12 one of 8-19): with 10-frame shots its loss was
    /// undefined, the step skipped, and the "training" time was a forward pass. A timed step that is
    /// skipped is therefore an error, never a time.
    public static func run(_ model: any SummaryModel, schedule published: TrainingSchedule, variant: String, size: String,
                           options: SpeedOptions, sgemmPeakGflops: Double) throws -> SpeedResult {
        var rng = SeededGenerator(seed: options.seed)
        let features = Tensor.uniform([options.batch, options.frames, model.inputDim], low: -2, high: 2, rng: &rng).values
        let target = Tensor.uniform([options.batch, options.frames], low: 0, high: 1, rng: &rng).values
        let (width, frames) = (model.inputDim, options.frames)
        var shots: [Shot] = []
        while (shots.last?.end ?? 0) < frames {
            let start = shots.last?.end ?? 0
            shots.append(Shot(start: start, end: min(start + rng.int(in: 4...20), frames)))
        }
        let videos = (0..<options.batch).map { b in
            Video(key: "random-\(b)", featureWidth: width, features: Array(features[(b * frames * width)..<((b + 1) * frames * width)]),
                  gtscore: Array(target[(b * frames)..<((b + 1) * frames)]), changePoints: shots)
        }
        let batch = try ModelBatch(videos: videos, needs: model.contract.needs, layout: model.contract.layout)
        // Scoring sees the same collated batch without its training target (collated once).
        let scoringBatch = ModelBatch(keys: batch.keys, lengths: batch.lengths, layout: batch.layout, features: batch.features, mask: batch.mask,
                                      gtscore: batch.gtscore, shots: batch.shots)
        let frameCount = Double(options.batch * options.frames)
        let forwardFlops = model.forwardFlopsPerFrame(length: options.frames) * frameCount
        var schedule = published
        schedule.batchSize = options.batch
        schedule.gradientAccumulation = 1
        let step = try TrainingStep(model: model, schedule: schedule)
        BufferPool.trim()
        Accounting.resetPeak()
        resetPeakResident()

        // FLOPs counted in this task's own scope: the global counter also sees whatever else the process
        // runs at the same time (tests run in parallel).
        func measure(steps: Int, _ body: () -> Void) -> (samples: [Double], flops: Double) {
            var samples: [Double] = []
            let (_, flops) = Accounting.countingFlops {
                for _ in 0..<steps {
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
            }
            return (samples, Double(flops) / Double(max(steps, 1)))
        }
        var skippedSteps = 0
        func trainStep() { if !step.run(batch).applied { skippedSteps += 1 } }
        func inferenceStep() { _ = GradMode.withNoGrad { model.frameScores(scoringBatch) } }

        model.train()
        _ = measure(steps: options.warmup, trainStep)
        let train = measure(steps: options.steps, trainStep)
        let probe = SgemmProbe(size: options.sgemmProbeSize)
        // Each probe is the faster of two products back to back, so a product that pays for waking
        // OpenBLAS's threads or for caches the step left cold does not lower the reference.
        let paired = pairedSgemm(steps: options.steps, trainFlops: 3 * forwardFlops, probe: { Swift.max(probe.rate(), probe.rate()) },
                                 trainStep)
        guard skippedSteps == 0 else {
            throw HarnessError.invalidArgument(
                "bench speed \(model.name) --variant \(variant): \(skippedSteps) of the training steps were skipped (the model's loss or a gradient "
                + "on the random batch was not finite), so no training time is reported; the timed steps would have been forward passes")
        }
        model.eval()
        // Inference as the Evaluator scores: in one scoring pass, its weights packed once (`WeightPanels`).
        let inference = WeightPanels.scoring {
            _ = measure(steps: options.warmup, inferenceStep)
            return measure(steps: options.steps, inferenceStep)
        }

        func phase(_ m: (samples: [Double], flops: Double), modelFlops: Double) -> SpeedPhase {
            let timing = Timing(m.samples)
            let seconds = timing.medianMs / 1000
            let gflops = modelFlops / seconds / 1e9
            return SpeedPhase(timing: timing, framesPerSecond: frameCount / seconds, measuredFlopsPerStep: m.flops,
                              modelFlopsPerStep: modelFlops, achievedGflops: gflops,
                              fractionOfSgemmPeak: sgemmPeakGflops > 0 ? gflops / sgemmPeakGflops : 0,
                              executedGflops: m.flops / seconds / 1e9)
        }
        return SpeedResult(model: model.name, variant: variant, size: size, parameters: model.parameterCount,
                           batch: options.batch, frames: options.frames, threads: Threading.count, steps: options.steps,
                           train: phase(train, modelFlops: 3 * forwardFlops), inference: phase(inference, modelFlops: forwardFlops),
                           peakTensorBytes: Accounting.peakBytes, peakResidentBytes: peakResidentBytes(),
                           sgemmPeakGflops: sgemmPeakGflops, trainPairedSgemm: paired)
    }

    /// Probe, step, probe, step, ..., probe: each step's model GFLOP/s over the faster neighbouring probe.
    /// `probe` gives the sgemm rate now; `now` is the clock in nanoseconds (both injectable for tests).
    static func pairedSgemm(steps: Int, trainFlops: Double, probe: () -> Double,
                            now: () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }, _ step: () -> Void) -> PairedSgemm {
        var previous = probe()
        var rates: [Double] = [], fractions: [Double] = []
        for _ in 0..<steps {
            let start = now()
            step()
            let seconds = Double(now() - start) / 1e9
            let next = probe()
            rates.append(next)
            fractions.append(trainFlops / seconds / 1e9 / Swift.max(previous, next))
            previous = next
        }
        return PairedSgemm(steps: steps, medianSgemmGflops: Timing.quantile(rates.sorted(), 0.5),
                           medianFractionOfSgemm: Timing.quantile(fractions.sorted(), 0.5))
    }

    public static func table(_ results: [SpeedResult]) -> String {
        var lines = ["| model | size | batch x frames | threads | train ms/step (median, IQR) | train frames/s | train GFLOP/s, model FLOPs (% of sgemm) | "
                     + "% of sgemm paired step by step (median sgemm GFLOP/s) | train GFLOP/s executed | "
                     + "infer ms/step (median, IQR) | infer frames/s | FLOPs/step train (measured / model) | peak tensor MiB | peak RSS MiB |",
                     "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results {
            func pct(_ p: SpeedPhase) -> String { String(format: "%.2f (%.1f%%)", p.achievedGflops, p.fractionOfSgemmPeak * 100) }
            lines.append("| \(r.model)\(r.variant == "report" ? "" : " (\(r.variant))") | \(r.size) | \(r.batch) x \(r.frames) | \(r.threads) | "
                         + String(format: "%.1f, %.1f", r.train.timing.medianMs, r.train.timing.iqrMs) + " | "
                         + String(format: "%.0f", r.train.framesPerSecond) + " | \(pct(r.train)) | "
                         + String(format: "%.1f%% (%.0f)", r.trainPairedSgemm.medianFractionOfSgemm * 100,
                                  r.trainPairedSgemm.medianSgemmGflops) + " | "
                         + String(format: "%.2f", r.train.executedGflops) + " | "
                         + String(format: "%.1f, %.1f", r.inference.timing.medianMs, r.inference.timing.iqrMs) + " | "
                         + String(format: "%.0f", r.inference.framesPerSecond) + " | "
                         + String(format: "%.3g / %.3g", r.train.measuredFlopsPerStep, r.train.modelFlopsPerStep) + " | "
                         + String(format: "%.1f | %.1f |", Double(r.peakTensorBytes) / 1_048_576, Double(r.peakResidentBytes) / 1_048_576))
        }
        return lines.joined(separator: "\n")
    }
}
