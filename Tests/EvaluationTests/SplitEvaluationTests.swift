import Foundation
import Synchronization
import Testing
@testable import Evaluation

/// Hands a closure to DispatchQueue's workers (the test's concurrent `perform`).
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

private struct SplitFixture: Decodable {
    struct Video: Decodable {
        let name: String
        let prediction: [Int]
        let gtscore: [Int]
        let shots: [[Int]]
        let gtSummary: [Int]?
    }
    struct Expected: Decodable {
        let videos: [VideoMetrics]
        let frames: Int
        let mse: Double
        let kendallTau, spearmanRho, f1, map50, map15: MetricSummary
    }
    let scale: Int
    let videos: [Video]
    let expected: Expected

    var inputs: [VideoEvaluationInput] {
        videos.map { video in
            VideoEvaluationInput(name: video.name,
                                 prediction: video.prediction.map { Double($0) / Double(scale) },
                                 gtscore: video.gtscore.map { Double($0) / Double(scale) },
                                 shots: video.shots.map { Shot(start: $0[0], end: $0[1]) },
                                 gtSummary: video.gtSummary?.map(Double.init))
        }
    }
}

private func expectSummary(_ actual: MetricSummary, _ expected: MetricSummary, _ what: String) {
    expectClose(actual.mean, expected.mean, tolerance: 1e-9, "\(what) mean")
    #expect(actual.evaluated == expected.evaluated, "\(what) evaluated")
    #expect(actual.skipped == expected.skipped, "\(what) skipped")
}

@Suite struct SplitEvaluationTests {
    /// The per-video metrics computed in any order, on other threads (as the harness spreads them), give
    /// the same split, bit for bit; each index is handed to the body exactly once.
    @Test func videosComputedConcurrentlyInAnyOrderGiveTheSameSplit() throws {
        let fixture = try loadFixture("split", as: SplitFixture.self)
        let inputs = Array(repeating: fixture.inputs, count: 5).flatMap { $0 }
        let inOrder = try SplitEvaluation(evaluating: inputs)
        let calls = Mutex([Int](repeating: 0, count: inputs.count))
        let concurrent = try SplitEvaluation(evaluating: inputs) { count, body in
            withoutActuallyEscaping(body) { body in
                let shared = UnsafeSendable(body)
                DispatchQueue.concurrentPerform(iterations: count) { k in
                    let i = count - 1 - k
                    calls.withLock { $0[i] += 1 }
                    shared.value(i)
                }
            }
        }
        #expect(concurrent == inOrder)
        #expect(calls.withLock { $0 }.allSatisfy { $0 == 1 })
    }

    @Test func everyMetricMatchesTheScipySklearnReference() throws {
        let fixture = try loadFixture("split", as: SplitFixture.self)
        let result = try SplitEvaluation(evaluating: fixture.inputs)

        #expect(result.videos.count == fixture.expected.videos.count)
        for (actual, expected) in zip(result.videos, fixture.expected.videos) {
            let name = actual.name
            #expect(actual.name == expected.name && actual.frames == expected.frames)
            expectClose(actual.mse, expected.mse, tolerance: 1e-12, "\(name) mse")
            expectClose(actual.kendallTau, expected.kendallTau, tolerance: 1e-6, "\(name) tau")
            expectClose(actual.spearmanRho, expected.spearmanRho, tolerance: 1e-6, "\(name) rho")
            expectClose(actual.f1, expected.f1, tolerance: 1e-9, "\(name) f1")
            expectClose(actual.map50, expected.map50, tolerance: 1e-9, "\(name) map50")
            expectClose(actual.map15, expected.map15, tolerance: 1e-9, "\(name) map15")
        }
        #expect(result.frames == fixture.expected.frames)
        expectClose(result.mse, fixture.expected.mse, tolerance: 1e-12, "split mse")
        expectSummary(result.kendallTau, fixture.expected.kendallTau, "tau")
        expectSummary(result.spearmanRho, fixture.expected.spearmanRho, "rho")
        expectSummary(result.f1, fixture.expected.f1, "f1")
        expectSummary(result.map50, fixture.expected.map50, "map50")
        expectSummary(result.map15, fixture.expected.map15, "map15")
    }

    @Test func mseIsFrameWeightedNotAMeanOfVideos() throws {
        let one = Shot(start: 0, end: 1)
        let result = try SplitEvaluation(evaluating: [
            VideoEvaluationInput(name: "a", prediction: [Float(1)], gtscore: [Float(0)], shots: [one]),
            VideoEvaluationInput(name: "b", prediction: [Float](repeating: 0, count: 3),
                                 gtscore: [Float](repeating: 0, count: 3), shots: [Shot(start: 0, end: 3)]),
        ])
        #expect(result.mse == 0.25)
        #expect(result.videos.map(\.mse) == [1, 0])
    }

    @Test func roundTripsThroughJSON() throws {
        let fixture = try loadFixture("split", as: SplitFixture.self)
        let result = try SplitEvaluation(evaluating: fixture.inputs)
        let decoded = try JSONDecoder().decode(SplitEvaluation.self, from: JSONEncoder().encode(result))
        #expect(decoded == result)
    }

    @Test func badInputIsNamed() {
        func failure(_ input: VideoEvaluationInput) -> EvaluationError? {
            do { _ = try SplitEvaluation(evaluating: [input]); return nil } catch { return error as? EvaluationError }
        }
        let shots = [Shot(start: 0, end: 2), Shot(start: 2, end: 4)]
        #expect(failure(VideoEvaluationInput(name: "v", prediction: [0.1, 0.2, 0.3], gtscore: [0.0, 0.1, 0.2, 0.3],
                                             shots: shots))
                == .lengthMismatch(video: "v", array: "prediction", expected: 4, actual: 3))
        let nan = failure(VideoEvaluationInput(name: "v", prediction: [0.1, .nan, 0.3, 0.4], gtscore: [0.0, 0.1, 0.2, 0.3],
                                               shots: shots))
        guard case .nonFiniteValue("v", "prediction", 1, _) = nan else {
            Issue.record("expected a non-finite prediction error, got \(String(describing: nan))"); return
        }
        #expect(failure(VideoEvaluationInput(name: "v", prediction: [0.0, 1, 2, 3], gtscore: [0.0, 1, 2, 3],
                                             shots: [Shot(start: 0, end: 3), Shot(start: 2, end: 4)]))
                == .invalidShot(video: "v", index: 1, shot: Shot(start: 2, end: 4),
                                reason: "starts before the previous shot ends (3)"))
        #expect(failure(VideoEvaluationInput(name: "v", prediction: [0.0, 1, 2, 3], gtscore: [0.0, 1, 2, 3],
                                             shots: [Shot(start: 0, end: 5)]))
                == .invalidShot(video: "v", index: 0, shot: Shot(start: 0, end: 5), reason: "leaves the video's 4 frames"))
        #expect(failure(VideoEvaluationInput(name: "v", prediction: [0.0, 1, 2, 3], gtscore: [0.0, 1, 2, 3],
                                             shots: shots, gtSummary: [0, 1, 0.5, 0]))
                == .invalidSummaryValue(video: "v", index: 2, value: 0.5))
        #expect(failure(VideoEvaluationInput(name: "v", prediction: [0.0, 1], gtscore: [0.0, 1],
                                             shots: [], gtSummary: [0, 1])) == .missingShots(video: "v"))
        #expect(failure(VideoEvaluationInput(name: "v", prediction: [Double](), gtscore: [Double](), shots: []))
                == .emptyVideo(video: "v"))
        #expect(throws: EvaluationError.emptySplit) { try SplitEvaluation(evaluating: []) }
        #expect(EvaluationError.missingShots(video: "v").description.contains("'v'"))
    }
}
