import Dispatch
import Evaluation
import Foundation
import Testing
import TensorCore
@testable import Models

/// Timing of `edsnet --variant paper` at 1 x 300 frames, published widths, for the comparison with the
/// PyTorch reference (tools/reference/paper_edsnet_speed.py). Off unless EDSNET_PAPER_SPEED is set; it
/// prints medians and asserts nothing about time:
///
///     OPENBLAS_CORETYPE=SkylakeX OPENBLAS_THREAD_TIMEOUT=4 EDSNET_PAPER_SPEED=1 \
///       swift test -c release -Xswiftc -enable-testing --filter EDSNetPaperSpeed
@Suite("EDSNetPaperSpeed", .serialized)
struct EDSNetPaperSpeed {
    static let enabled = ProcessInfo.processInfo.environment["EDSNET_PAPER_SPEED"] != nil
    static let frames = 300
    static let repeats = Int(ProcessInfo.processInfo.environment["EDSNET_PAPER_SPEED_REPEATS"] ?? "") ?? 15

    /// The batch both sides time: random features, shots of `shotLengths` frames, the keyshot summary of
    /// a random gtscore (so the step has positive anchors).
    static func batch(shotLengths: ClosedRange<Int>) -> ModelBatch {
        var gen = SeededGenerator(seed: 300)
        let t = frames
        let features = Tensor.normal([1, t, 1024], rng: &gen)
        var shots: [Shot] = [], start = 0
        while start < t { let l = gen.int(in: shotLengths); shots.append(Shot(start: start, end: min(t, start + l))); start += l }
        let gtscore = (0..<t).map { _ in gen.uniform() }
        let summary = keyshotSummary(frameScores: gtscore, shots: shots).map { $0 ? Float(1) : 0 }
        return ModelBatch(keys: ["speed"], lengths: [t], features: features, mask: Tensor(repeating: 1, shape: [1, t]),
                          gtscore: Tensor(gtscore.map(Float.init), shape: [1, t]), shots: [shots], keyshotSummary: [summary])
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    @Test(.enabled(if: enabled), arguments: [("fourier", "fft", "4", 3...6), ("nystrom", "roi", "12", 8...10)])
    func trainingStepAndInference(_ mixer: String, _ pooling: String, _ scales: String, _ shots: ClosedRange<Int>) throws {
        try Threading.withCount(2) {
            let model = try EDSNetPaper(spec: ModelSpec(name: "edsnet", variant: .paper, seed: 0,
                                                        options: ["mixer": mixer, "pooling": pooling, "scales": scales]))
            let batch = Self.batch(shotLengths: shots)
            let optimizer = Adam(model.parameters(), lr: 5e-5, weightDecay: 1e-5)
            model.train()
            var train: [Double] = []
            for i in 0..<(Self.repeats + 3) {
                let ms = Self.milliseconds {
                    model.zeroGrad()
                    let loss = model.trainingLoss(batch)
                    precondition(loss.item.isFinite, "the speed batch must have positive anchors")
                    loss.backward()
                    GradMode.withNoGrad { optimizer.step() }
                }
                if i >= 3 { train.append(ms) }
            }
            model.eval()
            var infer: [Double] = []
            for i in 0..<(Self.repeats + 3) {
                let ms = Self.milliseconds { _ = GradMode.withNoGrad { model.frameScores(batch) } }
                if i >= 3 { infer.append(ms) }
            }
            print(String(format: "EDSNET-PAPER-SPEED swift %@/%@/%@ T=%d threads=2: train step %.1f ms (min %.1f), inference %.1f ms (min %.1f)",
                         mixer, pooling, scales, Self.frames, Self.median(train), train.min()!, Self.median(infer), infer.min()!))
        }
    }
}
