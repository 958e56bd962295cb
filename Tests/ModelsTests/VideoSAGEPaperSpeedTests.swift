import Foundation
import Testing
import TensorCore
@testable import Models

/// Times `videosage --variant paper` at the published TVSum width on one video of 300 frames: a training
/// step (forward, BCE-with-logits, backward, Adam with the paper's lr and weight decay) and an eval
/// forward pass. Off unless VIDEOSAGE_PAPER_SPEED is set, because timings on a shared machine are no
/// test: it prints, it asserts nothing about time. The PyTorch side is
/// `tools/reference/paper_videosage.py --speed` (same shape, threads, warm-up and run count).
///
///     VIDEOSAGE_PAPER_SPEED=1 OPENBLAS_THREAD_TIMEOUT=4 swift test -c release -Xswiftc -enable-testing \
///         --filter VideoSAGEPaperSpeed
///
/// VIDEOSAGE_PAPER_SPEED_FRAMES and VIDEOSAGE_PAPER_SPEED_THREADS change the defaults (300, 2).
@Suite("VideoSAGE paper speed (opt-in)", .serialized)
struct VideoSAGEPaperSpeedTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["VIDEOSAGE_PAPER_SPEED"] != nil))
    func trainingStepAndInference() throws {
        let frames = Int(Self.environment["VIDEOSAGE_PAPER_SPEED_FRAMES"] ?? "") ?? 300
        let threads = Int(Self.environment["VIDEOSAGE_PAPER_SPEED_THREADS"] ?? "") ?? 2
        let (warmup, runs) = (5, 30)
        Threading.withCount(threads) {
            let model = VideoSAGEPaper(config: .tvsum, seed: 0)
            var rng = SeededGenerator(seed: 1)
            let features = Tensor.uniform([1, frames, 1024], low: 0, high: 1, rng: &rng)
            let gtscore = Tensor.uniform([1, frames], low: 0, high: 1, rng: &rng)
            let batch = ModelBatch(keys: ["v"], lengths: [frames], features: features,
                                   mask: Tensor(repeating: 1, shape: [1, frames]), gtscore: gtscore)
            let optimizer = Adam(model.parameters(), lr: 0.02, weightDecay: 1e-4)

            func timed(_ body: () -> Void) -> [Double] {
                for _ in 0..<warmup { body() }
                return (0..<runs).map { _ in
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                }
            }
            model.train()
            let train = timed {
                model.zeroGrad()
                let loss = model.trainingLoss(batch)
                loss.backward()
                optimizer.step()
            }
            model.eval()
            let infer = timed { _ = GradMode.withNoGrad { model.frameScores(batch) } }

            func report(_ label: String, _ times: [Double]) {
                let sorted = times.sorted(), median = sorted[sorted.count / 2]
                print(String(format: "  %@: median %.2f ms, min %.2f, max %.2f over %d runs; %.0f frames/s",
                             label, median, sorted.first!, sorted.last!, times.count, Double(frames) / median * 1e3))
            }
            print("bench VideoSAGEPaper tvsum (\(model.parameterCount) params), 1 x \(frames) frames, \(threads) threads")
            report("train step (fwd+bwd+adam)", train)
            report("inference", infer)
            #expect(train.allSatisfy { $0 > 0 } && infer.allSatisfy { $0 > 0 })
        }
    }
}
