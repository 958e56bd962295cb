import Foundation
import Testing
import TensorCore
@testable import Models

/// Timing of `csta --variant paper` at published width, beside `tools/reference/paper_csta.py --speed`
/// (the same shape, threads and steps). Runs only when CSTA_PAPER_SPEED is set, and asserts nothing
/// about time (a shared machine's timings are no test); it prints one JSON line:
///
///     CSTA_PAPER_SPEED=1 OPENBLAS_CORETYPE=SkylakeX swift test -c release -Xswiftc -enable-testing \
///         --filter CSTAPaperSpeedTests
///
/// CSTA_PAPER_SPEED_FRAMES (120), CSTA_PAPER_SPEED_THREADS (2), CSTA_PAPER_SPEED_STEPS (5) and
/// CSTA_PAPER_SPEED_WARMUP (2) set the shape and counts.
@Suite("CSTA (paper variant) speed", .enabled(if: ProcessInfo.processInfo.environment["CSTA_PAPER_SPEED"] != nil))
struct CSTAPaperSpeedTests {
    static func setting(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? fallback
    }

    @Test func trainingStepAndInference() throws {
        let frames = Self.setting("CSTA_PAPER_SPEED_FRAMES", 120), threads = Self.setting("CSTA_PAPER_SPEED_THREADS", 2)
        let steps = Self.setting("CSTA_PAPER_SPEED_STEPS", 5), warmup = Self.setting("CSTA_PAPER_SPEED_WARMUP", 2)
        Threading.withCount(threads) {
            var rng = SeededGenerator(seed: 1)
            let model = CSTAPaper()
            let features = Tensor.normal([1, frames, 1024], rng: &rng), mask = Tensor(repeating: 1, shape: [1, frames])
            let target = Tensor.uniform([1, frames], low: 0, high: 1, rng: &rng)
            let batch = ModelBatch(keys: ["speed"], lengths: [frames], features: features, mask: mask, gtscore: target)
            let optimizer = Adam(model.parameters(), lr: 1e-3, weightDecay: 1e-7)

            func timed(_ count: Int, _ body: () -> Void) -> [Double] {
                (0..<count).map { _ in
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                }
            }
            model.eval()
            let infer = { _ = GradMode.withNoGrad { model(features, mask: mask) } }
            _ = timed(warmup, infer)
            let inference = timed(steps, infer).sorted()
            model.train()
            let step = {
                model.zeroGrad()
                let loss = model.trainingLoss(batch)
                loss.backward()
                optimizer.step()
            }
            _ = timed(warmup, step)
            let training = timed(steps, step).sorted()
            func summary(_ ms: [Double]) -> String {
                String(format: "{\"median_ms\": %.1f, \"min_ms\": %.1f, \"max_ms\": %.1f}", ms[ms.count / 2], ms[0], ms[ms.count - 1])
            }
            let flops = model.forwardFlopsPerFrame(length: frames) * Double(frames)
            print("csta paper speed: {\"frames\": \(frames), \"threads\": \(threads), \"steps\": \(steps), \"forward_gflop\": "
                  + String(format: "%.2f", flops / 1e9) + ", \"inference\": \(summary(inference)), \"training_step\": \(summary(training))}")
            #expect(inference.count == steps && training.count == steps)
        }
    }
}
