/// The eccv16 (TVSum / SumMe) keyshot convention: a frame-level summary from step scores, and F1 of it
/// against every user's summary.
///
/// Follows what the field's codes compute (DSNet's `vsumm_helper.get_keyshot_summ` and
/// `get_summ_f1score`; PGL-SUM's `generate_summary` and `evaluate_summary`), with the knapsack of the
/// MR.HiSum F1 (`knapsackSelection`, VASNet / PGL-SUM's DP and tie rule) as evaluation.md asks.
/// Where the two codes differ we say which one we follow:
/// - frames after the last pick take the last step's score (DSNet, PGL-SUM), frames before the first
///   pick take 0 (both start from `np.zeros`);
/// - a segment's score is the plain mean of its frame scores over the inclusive [start, end]. DSNet
///   then quantises it to `int(1000 * mean)` for its OR-tools solver; we keep the exact mean (as
///   PGL-SUM does), so near-equal segments are not made equal by rounding. Both store frame scores in
///   float32; we use double, which changes a mean by at most ~1e-7 relative;
/// - capacity `int(n_frames * 0.15)` (DSNet; PGL-SUM uses the last change point's end + 1, the same
///   number when change points cover the video, which the reader checks) and weights
///   `n_frame_per_seg` (DSNet; PGL-SUM uses end - start + 1, again the same once checked).

/// How the per-user F1 values of one video become the video's F1.
public enum F1Reduction: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The mean over users: TVSum's convention (its 20 users each rated every frame).
    case mean
    /// The best-matching user: SumMe's convention (each user made one free-form summary).
    case max

    public var description: String { rawValue }

    /// Reduces per-user values; nil for none (a video without user summaries has no F1).
    public func reduce(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        switch self {
        case .mean: return values.reduce(0, +) / Double(values.count)
        case .max: return values.max()
        }
    }
}

/// Which of the two eccv16 sets a file holds. It decides the F1 reduction and whether the
/// `annotators` rank-correlation protocol applies (TVSum only).
public enum ECCV16Set: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case tvsum, summe

    public var description: String { rawValue }

    public var defaultReduction: F1Reduction { self == .tvsum ? .mean : .max }

    /// The set from an explicit choice, else from the file's name (`eccv16_dataset_tvsum_google_pool5.h5`
    /// holds "tvsum"). Never guessed: a name with neither word, or with both, is an error unless the
    /// choice is explicit.
    public static func resolve(explicit: ECCV16Set?, fileName: String) throws -> ECCV16Set {
        if let explicit { return explicit }
        let name = fileName.split(separator: "/").last.map { $0.lowercased() } ?? ""
        let found = allCases.filter { name.contains($0.rawValue) }
        guard found.count == 1, let set = found.first else {
            throw ECCV16Error.unknownSet(file: fileName, found: found.map(\.rawValue))
        }
        return set
    }

    /// The F1 reduction to use: an explicit reduction wins (and needs no set); otherwise the set's own,
    /// with the set resolved as `resolve` does (so an unknown file without either is an error).
    public static func reduction(explicit reduction: F1Reduction?, set: ECCV16Set?, fileName: String) throws -> F1Reduction {
        if let reduction { return reduction }
        return try resolve(explicit: set, fileName: fileName).defaultReduction
    }
}

/// Problems with eccv16 inputs found by the evaluation functions. Each names the video.
public enum ECCV16Error: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownSet(file: String, found: [String])
    case stepCountMismatch(video: String, scores: Int, picks: Int)
    case badPicks(video: String, index: Int, reason: String)
    case segmentWeightMismatch(video: String, segments: Int, weights: Int)
    case noUsers(video: String)
    case nonFiniteScore(video: String, index: Int)

    public var description: String {
        switch self {
        case let .unknownSet(file, found):
            let what = found.isEmpty ? "neither \"tvsum\" nor \"summe\"" : "both \"tvsum\" and \"summe\""
            return "\(file): its name holds \(what), so it is not known whether it is TVSum (F1 mean over users) "
                + "or SumMe (max over users); say which with --dataset tvsum|summe or --f1-reduction mean|max"
        case let .stepCountMismatch(video, scores, picks):
            return "video '\(video)': \(scores) step scores but \(picks) picks (one score per feature row)"
        case let .badPicks(video, index, reason):
            return "video '\(video)': picks[\(index)] \(reason)"
        case let .segmentWeightMismatch(video, segments, weights):
            return "video '\(video)': \(segments) change points but \(weights) n_frame_per_seg values"
        case let .noUsers(video):
            return "video '\(video)': no user summaries, so its F1 cannot be computed"
        case let .nonFiniteScore(video, index):
            return "video '\(video)': step score \(index) is not a finite number"
        }
    }
}

/// Step 1 of the convention: frame f in picks[i] ..< picks[i+1] takes score[i], the last step covers
/// picks.last ..< n_frames, frames before picks[0] take 0. Picks must increase and lie in 0..<n_frames.
public func eccv16FrameScores(stepScores: [Double], picks: [Int], frameCount: Int, video: String = "") throws -> [Double] {
    guard stepScores.count == picks.count else {
        throw ECCV16Error.stepCountMismatch(video: video, scores: stepScores.count, picks: picks.count)
    }
    for (index, pick) in picks.enumerated() {
        if pick < 0 || pick >= frameCount {
            throw ECCV16Error.badPicks(video: video, index: index, reason: "is \(pick), outside 0..<\(frameCount)")
        }
        if index > 0 && pick <= picks[index - 1] {
            throw ECCV16Error.badPicks(video: video, index: index, reason: "is \(pick), not above picks[\(index - 1)] = \(picks[index - 1])")
        }
    }
    if let bad = stepScores.firstIndex(where: { !$0.isFinite }) {
        throw ECCV16Error.nonFiniteScore(video: video, index: bad)
    }
    var frames = [Double](repeating: 0, count: frameCount)
    for (i, pick) in picks.enumerated() {
        let next = i + 1 < picks.count ? picks[i + 1] : frameCount
        for f in pick..<next { frames[f] = stepScores[i] }
    }
    return frames
}

/// Steps 2-4: segment scores (mean over each shot's frames), the 0/1 knapsack with capacity
/// floor(n_frames x proportion) and weights `framesPerSegment` (the file's `n_frame_per_seg`; nil
/// uses each shot's length, which the reader has checked equal), and every frame of a chosen shot
/// marked. `shots` are half-open (the reader converts eccv16's inclusive ends), so [start, end - 1]
/// is the inclusive slice `frame_scores[first:last + 1]` of the published codes.
public func eccv16KeyshotSummary(stepScores: [Double], picks: [Int], shots: [Shot], framesPerSegment: [Int]? = nil,
                                 frameCount: Int, proportion: Double = 0.15, video: String = "") throws -> [Bool] {
    let frames = try eccv16FrameScores(stepScores: stepScores, picks: picks, frameCount: frameCount, video: video)
    let weights = framesPerSegment ?? shots.map(\.length)
    guard weights.count == shots.count else {
        throw ECCV16Error.segmentWeightMismatch(video: video, segments: shots.count, weights: weights.count)
    }
    // `shotScores` clamps a shot's end to the frame count, which the reader's checks make a no-op here.
    let values = shotScores(frameScores: frames, shots: shots.map { Shot(start: $0.start, end: $0.end - 1) })
    // int(n_frames * 0.15) in Python truncates toward zero: floor for these non-negative numbers.
    let capacity = Int((Double(frameCount) * proportion).rounded(.down))
    let chosen = knapsackSelection(values: values, weights: weights, capacity: capacity)
    var summary = [Bool](repeating: false, count: frameCount)
    for index in chosen {
        for f in shots[index].start..<min(shots[index].end, frameCount) { summary[f] = true }
    }
    return summary
}

/// One video's F1 against its users.
public struct UserF1: Sendable, Equatable {
    /// F1 x 100 against each user, in the file's user order.
    public let perUser: [Double]
    public let reduction: F1Reduction
    /// The reduced value (mean or max over `perUser`).
    public let value: Double
}

/// F1 of a machine summary against every user summary (rows of 0/1 over the original frames). As in
/// DSNet's `get_summ_f1score`, a machine summary longer than the users' rows is cut and a shorter one
/// padded with zeros; each user's F1 is `summaryF1` (x 100, 0 when P + R = 0).
public func eccv16F1(machine: [Bool], userSummaries: [[Bool]], reduction: F1Reduction, video: String = "") throws -> UserF1 {
    guard let frameCount = userSummaries.first?.count else { throw ECCV16Error.noUsers(video: video) }
    var fitted = Array(machine.prefix(frameCount))
    if fitted.count < frameCount { fitted += [Bool](repeating: false, count: frameCount - fitted.count) }
    let perUser = userSummaries.map { user -> Double in
        // Rows of one file all have n_frames values (the reader checks the (users, n_frames) shape);
        // the same cut/pad keeps this total for a caller passing ragged rows.
        var row = Array(user.prefix(frameCount))
        if row.count < frameCount { row += [Bool](repeating: false, count: frameCount - row.count) }
        return summaryF1(machine: fitted, groundTruth: row)
    }
    return UserF1(perUser: perUser, reduction: reduction, value: reduction.reduce(perUser) ?? 0)
}
