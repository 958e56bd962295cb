import Randomness
import Testing
@testable import Evaluation

private struct StatisticsFixture: Decodable {
    struct SignFlipCase: Decodable {
        let name: String
        let k: [Int]
        let p: Double
    }
    struct PercentileCase: Decodable {
        let k: [Int]
        let lower: Double
        let upper: Double
    }
    let scale: Int
    let signFlip: [SignFlipCase]
    let percentiles: [PercentileCase]

    enum CodingKeys: String, CodingKey {
        case scale
        case signFlip = "sign_flip"
        case percentiles
    }
}

private func loadStatisticsFixture() throws -> StatisticsFixture {
    try loadFixture("statistics", as: StatisticsFixture.self)
}

/// The exact p straight from the definition, in integers so that ties are exact: the share of all 2^n
/// sign patterns s with |sum s_i k_i| >= |sum k_i|.
private func bruteForceSignFlipP(_ k: [Int]) -> Double {
    let observed = abs(k.reduce(0, +))
    var count = 0
    for pattern in 0..<(1 << k.count) {
        var sum = 0
        for i in k.indices {
            sum += (pattern >> i) & 1 == 1 ? -k[i] : k[i]
        }
        if abs(sum) >= observed { count += 1 }
    }
    return Double(count) / Double(1 << k.count)
}

@Suite struct SignFlipTests {
    @Test func exactPMatchesScipy() throws {
        let fixture = try loadStatisticsFixture()
        #expect(fixture.signFlip.count >= 20)
        for testCase in fixture.signFlip {
            let d = testCase.k.map { Double($0) / Double(fixture.scale) }
            let result = signFlipTest(d, seed: 0)
            #expect(result.exact, "\(testCase.name)")
            #expect(result.patterns == 1 << d.count, "\(testCase.name)")
            #expect(abs(result.pValue - testCase.p) <= 1e-12, "\(testCase.name): got \(result.pValue), scipy \(testCase.p)")
        }
    }

    /// Values on a grid of tenths with few levels and zeros: many patterns tie with the observed one in
    /// exact arithmetic but not in doubles (0.1 + 0.2 != 0.3), so this fails without the tolerance.
    @Test func exactPMatchesIntegerBruteForceWithTies() {
        var generator = SeededGenerator(seed: 12)
        for trial in 0..<400 {
            let n = generator.int(in: 1...14)
            let levels = [3, 5, 10, 200][trial % 4]
            let k = (0..<n).map { _ in generator.int(in: -levels...levels) }
            let d = k.map { Double($0) / 10 }
            #expect(signFlipTest(d, seed: 0).pValue == bruteForceSignFlipP(k), "trial \(trial): \(k)")
        }
    }

    @Test func exactPMatchesBruteForceOnContinuousValues() {
        var generator = SeededGenerator(seed: 13)
        for trial in 0..<100 {
            let n = generator.int(in: 2...12)
            let shift = generator.uniform() - 0.5
            let d = (0..<n).map { _ in generator.normal() * 0.1 + shift * 0.1 }
            let observed = abs(d.reduce(0, +))
            var count = 0
            for pattern in 0..<(1 << n) {
                var sum = 0.0
                for i in 0..<n { sum += (pattern >> i) & 1 == 1 ? -d[i] : d[i] }
                if abs(sum) >= observed * (1 - 1e-9) { count += 1 }
            }
            #expect(signFlipTest(d, seed: 0).pValue == Double(count) / Double(1 << n), "trial \(trial)")
        }
    }

    /// scipy 1.17 gives 0.96875 here: its tolerance is relative to the observed mean, which is 0 in
    /// exact arithmetic, so patterns that tie with it through rounding are missed (see `signFlipTest`).
    @Test func anExactlyZeroMeanGivesOne() {
        let d = [52, -91, 0, 13, 65, -26, -39, 26].map { Double($0) / 10 }
        #expect(signFlipTest(d, seed: 0).pValue == 1)
        #expect(signFlipTest([], seed: 0).pValue == 1)
        #expect(signFlipTest([0.3], seed: 0).pValue == 1)
        #expect(signFlipTest([0, 0, 0], seed: 0).pValue == 1)
    }

    @Test func extremeDifferencesGetTheSmallestPossibleP() {
        // All 12 differences positive: only the observed pattern and its mirror are as extreme.
        let d = (1...12).map { Double($0) / 100 }
        #expect(signFlipTest(d, seed: 0).pValue == 2.0 / 4096)
        #expect(signFlipTest(d.map { -$0 }, seed: 0).pValue == 2.0 / 4096)
        // Twenty values: the largest exact case.
        let twenty = (1...20).map { Double($0) }
        let result = signFlipTest(twenty, seed: 0)
        #expect(result.exact && result.patterns == 1 << 20)
        #expect(result.pValue == 2.0 / Double(1 << 20))
    }

    @Test func randomPatternsAreSeededAndCountTheObservedPattern() {
        var generator = SeededGenerator(seed: 21)
        let d = (0..<30).map { _ in generator.normal() + 0.4 }
        let first = signFlipTest(d, seed: 5), again = signFlipTest(d, seed: 5), other = signFlipTest(d, seed: 6)
        #expect(!first.exact && first.patterns == signFlipRandomPatterns + 1)
        #expect(first == again)
        #expect(first.pValue != other.pValue)
        // Every pattern ties with an all-zero observation: p = (1 + N) / (1 + N).
        #expect(signFlipTest([Double](repeating: 0, count: 25), seed: 1, randomPatterns: 1000).pValue == 1)
        // 40 positive differences: no random pattern reaches the observed sum except with probability
        // 2^-39 per draw, so p = 1 / (1 + N), never 0.
        let positive = (1...40).map { Double($0) }
        #expect(signFlipTest(positive, seed: 1, randomPatterns: 1000).pValue == 1.0 / 1001)
    }

    /// n = 21, one more than the exact limit: the Monte Carlo p against the exact p from enumerating all
    /// 2^21 patterns here. Its standard error is sqrt(p (1 - p) / N); 4.5 of them (plus the 1 / (N + 1)
    /// of the counted observation) bound the gap but for a chance of about 1e-5.
    @Test func randomPatternsApproachTheExactP() {
        var generator = SeededGenerator(seed: 33)
        // Integer-valued differences, so the brute force is exact; shifted to give p near 0.05.
        let k = (0..<21).map { _ in generator.int(in: -40...40) + 6 }
        let exact = bruteForceSignFlipP(k)
        #expect(exact > 0.005 && exact < 0.3, "exact p \(exact) should be in the interesting range")
        let d = k.map(Double.init)
        let random = signFlipTest(d, seed: 2)
        #expect(!random.exact)
        let standardError = (exact * (1 - exact) / Double(signFlipRandomPatterns)).squareRoot()
        #expect(abs(random.pValue - exact) <= 4.5 * standardError + 1 / Double(signFlipRandomPatterns + 1),
                "Monte Carlo \(random.pValue), exact \(exact)")
        // The exact branch beyond its default limit agrees with the brute force too.
        #expect(signFlipTest(d, seed: 0, exactLimit: 21).pValue == exact)
    }
}

@Suite struct PercentileTests {
    @Test func matchesNumpysLinearPercentile() throws {
        let fixture = try loadStatisticsFixture()
        for testCase in fixture.percentiles {
            let values = testCase.k.map { Double($0) / Double(fixture.scale) }
            let interval = percentileInterval(values)
            #expect(abs(interval.lower - testCase.lower) <= 1e-12, "n \(values.count): lower \(interval.lower), numpy \(testCase.lower)")
            #expect(abs(interval.upper - testCase.upper) <= 1e-12, "n \(values.count): upper \(interval.upper), numpy \(testCase.upper)")
        }
    }

    @Test func interpolatesBetweenOrderStatistics() {
        // h = (n - 1) q: 3 * 0.5 = 1.5 halfway between 2 and 4; 3 * 0.25 = 0.75 of the way from 1 to 2.
        #expect(linearQuantile(sorted: [1, 2, 4, 8], 0.5) == 3)
        #expect(linearQuantile(sorted: [1, 2, 4, 8], 0.25) == 1.75)
        #expect(linearQuantile(sorted: [1, 2, 4, 8], 0) == 1)
        #expect(linearQuantile(sorted: [1, 2, 4, 8], 1) == 8)
        #expect(linearQuantile(sorted: [5], 0.975) == 5)
        // 101 values 0...100: the 2.5 and 97.5 percentiles sit exactly on 2.5 and 97.5.
        #expect(percentileInterval((0...100).map(Double.init).reversed()) == ConfidenceInterval(lower: 2.5, upper: 97.5))
    }
}
