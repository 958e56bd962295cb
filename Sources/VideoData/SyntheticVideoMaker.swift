import Evaluation
import Randomness
import Foundation

/// The content model behind the synthetic set (see data.md, "Synthetic MR.HiSum").
///
/// Every frame has a hidden latent vector z (dimension `latentDimension`); the features are a fixed
/// random projection of z into `featureWidth` dimensions plus a little noise, quantised to the
/// YouTube-8M uint8 grid. A video has a theme (one of `themeCount` shared directions, perturbed);
/// it is cut into shots, and each shot's content is a mix of the theme and a shot-specific direction,
/// with the theme's weight ("relevance") drawn per shot. Within a shot z drifts slowly (frames are
/// correlated), and short "motion bursts" add fast frame-to-frame jitter.
///
/// The hidden interest of a frame has two parts a model can recover from the features:
/// - global: cosine between z and the video's mean z (closeness to the recurring theme, needs the
///   whole video);
/// - local: how far z moves from its neighbours (high at shot changes and in bursts, needs a window).
/// Each part is scaled to [0, 1] within the video and they are mixed `globalWeight : 1 - globalWeight`.
struct SyntheticVideoMaker {
    let config: SyntheticConfig
    /// (latentDimension x featureWidth), row-major.
    let projection: [Float]
    /// (themeCount x latentDimension) unit vectors.
    let themes: [[Double]]

    init(config: SyntheticConfig) {
        self.config = config
        var random = SeededGenerator(seed: SplitMix64.derive(config.seed, 0xFEA7_0000))
        let d = config.latentDimension
        projection = (0..<(d * config.featureWidth)).map { _ in Float(random.normal()) }
        themes = (0..<config.themeCount).map { _ in Self.unit((0..<d).map { _ in random.normal() }) }
    }

    struct Made {
        let features: [Float]
        let interest: [Float]
        let gtscore: [Double]
        let shots: [Shot]
        let theme: Int
    }

    func make(videoIndex: Int) -> Made {
        var random = SeededGenerator(seed: SplitMix64.derive(config.seed, UInt64(videoIndex) + 1))
        let d = config.latentDimension
        let n = random.int(in: config.minLength...config.maxLength)
        let theme = random.int(in: 0...(config.themeCount - 1))
        let perturbation = (0..<d).map { _ in 0.3 * random.normal() / Double(d).squareRoot() }
        let videoTheme = Self.unit(zip(themes[theme], perturbation).map { $0 + $1 })

        let shots = makeShots(frames: n, random: &random)
        var latent = [[Double]](repeating: [], count: n)
        for shot in shots {
            let relevance = random.uniform()
            var own = (0..<d).map { _ in random.normal() }
            let along = zip(own, videoTheme).reduce(0) { $0 + $1.0 * $1.1 }
            own = Self.unit(zip(own, videoTheme).map { $0 - along * $1 })
            let content = zip(videoTheme, own).map { relevance * $0 + (1 - relevance * relevance).squareRoot() * $1 }
            var drift = [Double](repeating: 0, count: d)
            for t in shot.start..<shot.end {
                drift = drift.map { 0.8 * $0 + config.driftStep * random.normal() / Double(d).squareRoot() }
                latent[t] = zip(content, drift).map { $0 + $1 }
            }
        }
        addBursts(to: &latent, random: &random)

        let interest = Self.interest(latent: latent, globalWeight: config.globalWeight)
        let noisy = interest.map { Double($0) + config.interestNoise * random.normal() }
        let gtscore = Self.binnedScore(noisy, bins: config.heatmapBins)
        let features = project(latent: latent, random: &random)
        return Made(features: features, interest: interest, gtscore: gtscore, shots: shots, theme: theme)
    }

    /// Shots of `shotLength` frames (the last absorbs a remainder shorter than the minimum).
    private func makeShots(frames n: Int, random: inout SeededGenerator) -> [Shot] {
        var shots: [Shot] = []
        var start = 0
        while start < n {
            var end = min(n, start + random.int(in: config.shotLength))
            if n - end < config.shotLength.lowerBound { end = n }
            shots.append(Shot(start: start, end: end))
            start = end
        }
        return shots
    }

    /// Short windows where every frame gets its own random offset: motion-like bursts.
    private func addBursts(to latent: inout [[Double]], random: inout SeededGenerator) {
        let n = latent.count, d = config.latentDimension
        let count = max(1, Int((Double(n) * config.burstsPerFrame).rounded()))
        for _ in 0..<count {
            let length = random.int(in: 3...6)
            guard n > length else { continue }
            let start = random.int(in: 0...(n - length))
            for t in start..<(start + length) {
                latent[t] = latent[t].map { $0 + config.burstStrength * random.normal() / Double(d).squareRoot() }
            }
        }
    }

    /// The noiseless interest of each frame, in [0, 1].
    static func interest(latent: [[Double]], globalWeight: Double) -> [Float] {
        let n = latent.count, d = latent[0].count
        var mean = [Double](repeating: 0, count: d)
        for z in latent { for k in 0..<d { mean[k] += z[k] / Double(n) } }
        let meanNorm = norm(mean)
        let global = latent.map { z in zip(z, mean).reduce(0) { $0 + $1.0 * $1.1 } / max(norm(z) * meanNorm, 1e-12) }
        let steps = (1..<max(n, 1)).map { t in norm(zip(latent[t], latent[t - 1]).map { $0 - $1 }) }
        let local = (0..<n).map { t -> Double in
            let before = t > 0 ? steps[t - 1] : nil
            let after = t < n - 1 ? steps[t] : nil
            switch (before, after) {
            case let (b?, a?): return (b + a) / 2
            case let (b?, nil): return b
            case let (nil, a?): return a
            default: return 0
            }
        }
        let g = minMax(global), l = minMax(local)
        return (0..<n).map { Float(globalWeight * g[$0] + (1 - globalWeight) * l[$0]) }
    }

    /// MR.HiSum's gtscore comes from a 100-bin heat map: frame t falls in bin floor(t * bins / n), every
    /// frame of a bin gets the bin's mean, and the video is scaled to [0, 1]. Bins holding several
    /// frames give runs of tied scores (only videos longer than `bins` frames have them).
    static func binnedScore(_ values: [Double], bins: Int) -> [Double] {
        let n = values.count
        let bin = (0..<n).map { $0 * bins / n }
        var sums = [Double](repeating: 0, count: bins), counts = [Int](repeating: 0, count: bins)
        for t in 0..<n {
            sums[bin[t]] += values[t]
            counts[bin[t]] += 1
        }
        let binned = (0..<n).map { sums[bin[$0]] / Double(counts[bin[$0]]) }
        return minMax(binned)
    }

    /// features = quantise(scale * z P + noise), de-quantised as YouTube-8M: q * 4/255 - 2.
    private func project(latent: [[Double]], random: inout SeededGenerator) -> [Float] {
        let width = config.featureWidth, d = config.latentDimension
        var features = [Float](repeating: 0, count: latent.count * width)
        var row = [Float](repeating: 0, count: width)
        for (t, z) in latent.enumerated() {
            for j in 0..<width { row[j] = 0 }
            for k in 0..<d {
                let weight = Float(z[k] * config.featureScale)
                let offset = k * width
                for j in 0..<width { row[j] += weight * projection[offset + j] }
            }
            for j in 0..<width {
                let value = Double(row[j]) + config.featureNoise * random.normal()
                let quantised = ((min(max(value, -2), 2) + 2) * 255 / 4).rounded()
                features[t * width + j] = Float(quantised * 4 / 255 - 2)
            }
        }
        return features
    }

    static func unit(_ v: [Double]) -> [Double] {
        let length = norm(v)
        return v.map { $0 / max(length, 1e-12) }
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    static func minMax(_ v: [Double]) -> [Double] {
        guard let low = v.min(), let high = v.max(), high > low else { return v.map { _ in 0 } }
        return v.map { ($0 - low) / (high - low) }
    }
}
