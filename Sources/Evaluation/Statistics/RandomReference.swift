import Randomness

/// statistics.md's number of random predictions per video for the `random` reference.
public let randomReferenceDraws = 100

/// Draw `draw` of the `random` reference's uniform frame scores in [0, 1) for a video of `frames`
/// frames. The caller scores each draw with the ordinary metrics (`evaluateVideo`) and averages a
/// metric over the draws that define it. `seed` should identify the video as well as the comparison
/// (e.g. `SplitMix64.derive(resamplingSeed, videoIndex)`), so that every video gets its own draws
/// and the reference does not depend on which models ran. Each draw has its own derived generator,
/// so draws can be computed in any order or in parallel with the same result.
public func uniformRandomScores(frames: Int, seed: UInt64, draw: Int) -> [Double] {
    precondition(frames >= 0 && draw >= 0, "uniformRandomScores: frames and draw must be non-negative")
    var generator = SeededGenerator(seed: SplitMix64.derive(seed, UInt64(draw)))
    return (0..<frames).map { _ in generator.uniform() }
}
