import Foundation
import Testing
@testable import Evaluation

/// The eccv16 keyshot summary and user F1 against the independent numpy implementation in
/// tools/eval/make_eccv16_fixtures.py, and the annotator protocol against scipy.
@Suite struct ECCV16SummaryTests {
    struct F1Case: Decodable {
        let name: String
        let scale: Int
        let score_numerators: [Int]
        let picks: [Int]
        let n_frames: Int
        let change_points: [[Int]]
        let n_frame_per_seg: [Int]
        let user_summary: [String]
        let reduction: String
        let chosen_segments: [Int]
        let machine_summary: String
        let per_user_f1: [Double]
        let f1: Double

        var scores: [Double] { score_numerators.map { Double($0) / Double(scale) } }
        /// Inclusive [first, last] rows as half-open shots, as the reader makes them.
        var shots: [Shot] { change_points.map { Shot(start: $0[0], end: $0[1] + 1) } }
        var users: [[Bool]] { user_summary.map { $0.map { $0 == "1" } } }
    }

    struct F1Fixture: Decodable { let cases: [F1Case] }

    struct AnnotatorCase: Decodable {
        let name: String
        let n_frames: Int
        let picks: [Int]
        let annotator_scores: [[Int]]
        let scale: Int
        let score_numerators: [Int]
        let tau: [Double], rho: [Double]
        let mean_tau: Double, mean_rho: Double
        let loo_tau: [Double], loo_rho: [Double]
        let mean_loo_tau: Double, mean_loo_rho: Double
    }

    struct AnnotatorFixture: Decodable { let cases: [AnnotatorCase] }

    @Test func summariesAndF1MatchTheReference() throws {
        let fixture = try loadFixture("eccv16_f1", as: F1Fixture.self)
        #expect(fixture.cases.count >= 10)
        for c in fixture.cases {
            let reduction = try #require(F1Reduction(rawValue: c.reduction))
            let machine = try eccv16KeyshotSummary(stepScores: c.scores, picks: c.picks, shots: c.shots,
                                                   framesPerSegment: c.n_frame_per_seg, frameCount: c.n_frames,
                                                   video: c.name)
            let expected = c.machine_summary.map { $0 == "1" }
            #expect(machine == expected, "\(c.name): machine summary differs from the reference")
            // The chosen segments, read back from the summary, pin the knapsack's tie rule.
            let chosen = c.shots.indices.filter { machine[c.shots[$0].start] }
            #expect(chosen == c.chosen_segments, "\(c.name): chose \(chosen), reference \(c.chosen_segments)")
            let f1 = try eccv16F1(machine: machine, userSummaries: c.users, reduction: reduction, video: c.name)
            #expect(f1.perUser.count == c.per_user_f1.count)
            for (a, e) in zip(f1.perUser, c.per_user_f1) { expectClose(a, e, tolerance: 1e-9, "\(c.name) per user") }
            expectClose(f1.value, c.f1, tolerance: 1e-9, "\(c.name) F1 (\(c.reduction))")
        }
    }

    /// The frames after the last pick take the last score: a tail-only signal decides the summary.
    @Test func framesAfterTheLastPickTakeTheLastScore() throws {
        let frames = try eccv16FrameScores(stepScores: [0.1, 0.2, 0.9], picks: [2, 5, 8], frameCount: 12)
        #expect(frames == [0, 0, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.9, 0.9, 0.9, 0.9])
    }

    @Test func meanAndMaxDifferOnTheSameVideo() throws {
        let fixture = try loadFixture("eccv16_f1", as: F1Fixture.self)
        let pair = fixture.cases.filter { $0.name.hasPrefix("same video") }
        #expect(pair.count == 2)
        let means = try #require(pair.first { $0.reduction == "mean" })
        let maxima = try #require(pair.first { $0.reduction == "max" })
        let machine = means.machine_summary.map { $0 == "1" }
        let mean = try eccv16F1(machine: machine, userSummaries: means.users, reduction: .mean).value
        let max = try eccv16F1(machine: machine, userSummaries: maxima.users, reduction: .max).value
        expectClose(mean, means.f1, tolerance: 1e-9, "mean")
        expectClose(max, maxima.f1, tolerance: 1e-9, "max")
        #expect(max > mean + 1)
    }

    /// A machine summary longer than the users' rows is cut, a shorter one padded (DSNet's rule).
    @Test func machineSummaryIsCutOrPaddedToTheUsers() throws {
        let users = [[true, true, false, false]]
        let long = try eccv16F1(machine: [true, true, false, false, true, true], userSummaries: users, reduction: .mean)
        #expect(long.value == 100)
        let short = try eccv16F1(machine: [true], userSummaries: users, reduction: .mean)
        expectClose(short.value, 2 * 1 * 0.5 / 1.5 * 100, tolerance: 1e-12, "padded")
        #expect(throws: ECCV16Error.noUsers(video: "v")) {
            try eccv16F1(machine: [true], userSummaries: [], reduction: .max, video: "v")
        }
    }

    @Test func setComesFromTheChoiceOrTheFileName() throws {
        #expect(try ECCV16Set.resolve(explicit: nil, fileName: "data/eccv16_dataset_tvsum_google_pool5.h5") == .tvsum)
        #expect(try ECCV16Set.resolve(explicit: nil, fileName: "/x/eccv16_dataset_SumMe_google_pool5.h5") == .summe)
        #expect(try ECCV16Set.resolve(explicit: .summe, fileName: "tvsum.h5") == .summe)
        #expect(ECCV16Set.tvsum.defaultReduction == .mean && ECCV16Set.summe.defaultReduction == .max)
        // Only the file's own name counts, not a folder that happens to say tvsum.
        let unknown = try #require(throws: ECCV16Error.self) {
            try ECCV16Set.resolve(explicit: nil, fileName: "/data/tvsum/videos.h5")
        }
        #expect(unknown.description.contains("/data/tvsum/videos.h5") && unknown.description.contains("--dataset"))
        #expect(throws: ECCV16Error.self) { try ECCV16Set.resolve(explicit: nil, fileName: "tvsum_and_summe.h5") }
        #expect(try ECCV16Set.reduction(explicit: .max, set: nil, fileName: "videos.h5") == .max)
        #expect(try ECCV16Set.reduction(explicit: nil, set: nil, fileName: "my_tvsum.h5") == .mean)
        #expect(throws: ECCV16Error.self) { try ECCV16Set.reduction(explicit: nil, set: nil, fileName: "videos.h5") }
    }

    @Test func badPicksAndWeightsAreNamed() throws {
        let notIncreasing = try #require(throws: ECCV16Error.self) {
            try eccv16FrameScores(stepScores: [1, 2], picks: [3, 3], frameCount: 10, video: "video_4")
        }
        #expect(notIncreasing == .badPicks(video: "video_4", index: 1, reason: "is 3, not above picks[0] = 3"))
        #expect(throws: ECCV16Error.self) {
            try eccv16FrameScores(stepScores: [1, 2], picks: [0, 10], frameCount: 10, video: "video_4")
        }
        #expect(throws: ECCV16Error.stepCountMismatch(video: "v", scores: 1, picks: 2)) {
            try eccv16FrameScores(stepScores: [1], picks: [0, 5], frameCount: 10, video: "v")
        }
        #expect(throws: ECCV16Error.segmentWeightMismatch(video: "v", segments: 1, weights: 2)) {
            try eccv16KeyshotSummary(stepScores: [1], picks: [0], shots: [Shot(start: 0, end: 10)],
                                     framesPerSegment: [5, 5], frameCount: 10, video: "v")
        }
    }

    @Test func annotatorCorrelationMatchesScipy() throws {
        let fixture = try loadFixture("eccv16_annotators", as: AnnotatorFixture.self)
        for c in fixture.cases {
            let scores = c.score_numerators.map { Double($0) / Double(c.scale) }
            let annotators = c.annotator_scores.map { $0.map(Double.init) }
            let result = try annotatorCorrelation(stepScores: scores, picks: c.picks, annotators: annotators,
                                                  frameCount: c.n_frames, video: c.name)
            #expect(result.tau.count == c.tau.count)
            for (a, e) in zip(result.tau, c.tau) { expectClose(a, e, tolerance: 1e-12, "\(c.name) tau") }
            for (a, e) in zip(result.rho, c.rho) { expectClose(a, e, tolerance: 1e-12, "\(c.name) rho") }
            expectClose(result.meanTau, c.mean_tau, tolerance: 1e-12, "\(c.name) mean tau")
            expectClose(result.meanRho, c.mean_rho, tolerance: 1e-12, "\(c.name) mean rho")

            let human = try humanAgreement(picks: c.picks, annotators: annotators, frameCount: c.n_frames, video: c.name)
            for (a, e) in zip(human.tau, c.loo_tau) { expectClose(a, e, tolerance: 1e-12, "\(c.name) loo tau") }
            for (a, e) in zip(human.rho, c.loo_rho) { expectClose(a, e, tolerance: 1e-12, "\(c.name) loo rho") }
            expectClose(human.meanTau, c.mean_loo_tau, tolerance: 1e-12, "\(c.name) mean loo tau")
            expectClose(human.meanRho, c.mean_loo_rho, tolerance: 1e-12, "\(c.name) mean loo rho")
        }
    }

    @Test func annotatorInputsAreChecked() throws {
        #expect(throws: AnnotatorError.frameCountMismatch(video: "v", annotator: 1, frames: 9, expected: 10)) {
            try annotatorCorrelation(stepScores: [1, 2], picks: [0, 5],
                                     annotators: [[Double](repeating: 1, count: 10), [Double](repeating: 1, count: 9)],
                                     frameCount: 10, video: "v")
        }
        #expect(throws: AnnotatorError.tooFewAnnotators(video: "v", count: 1)) {
            try humanAgreement(picks: [0], annotators: [[1, 2]], frameCount: 2, video: "v")
        }
    }
}
