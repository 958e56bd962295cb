import Foundation
import Testing
import TensorCore
@testable import Harness

struct MeasurementTests {
    /// Quantiles by linear interpolation, as numpy.percentile's default: for [1, 2, 4, 8, 100]
    /// median 4, q25 2, q75 8.
    @Test func timingMedianAndSpread() {
        let t = Timing([8, 1, 100, 4, 2])
        #expect(t.medianMs == 4 && t.minMs == 1 && t.maxMs == 100 && t.iqrMs == 6)
        #expect(Timing([1, 2, 3, 4]).medianMs == 2.5)
        #expect(Timing([1, 2, 3, 4]).iqrMs == 1.5)
    }

    /// A training step skipped for a non-finite loss is not a training time (it would be a forward pass).
    @Test func aSkippedTimedTrainingStepIsAnErrorNotATime() throws {
        let options = SpeedOptions(batch: 2, frames: 10, steps: 3, warmup: 1, sgemmProbeSize: 64)
        // One NaN loss among the timed steps (calls 2-4 are timed after one warm-up call).
        let model = TestData.tinyModel(dropout: 0)
        model.nanOnTrainingCalls = [3]
        let error = try #require(throws: HarnessError.self) {
            try SpeedBenchmark.run(model, schedule: TestData.schedule(), variant: "report", size: "small", options: options, sgemmPeakGflops: 100)
        }
        #expect("\(error)".contains("bench speed tiny --variant report: 1 of the training steps were skipped"), "\(error)")
        // Without it the same benchmark runs.
        let clean = TestData.tinyModel(dropout: 0)
        #expect(try SpeedBenchmark.run(clean, schedule: TestData.schedule(), variant: "report", size: "small", options: options,
                                       sgemmPeakGflops: 100).train.timing.medianMs > 0)
    }

    @Test func speedBenchmarkCountsTheModelsFlops() throws {
        let model = TestData.tinyModel(dropout: 0)
        let result = try SpeedBenchmark.run(model, schedule: TestData.schedule(), variant: "report", size: "small",
                                        options: SpeedOptions(batch: 2, frames: 10, steps: 3, warmup: 1, sgemmProbeSize: 64),
                                        sgemmPeakGflops: 100)
        // The tensor core's count of an inference step, in the benchmark's own counting scope (tests running
        // beside this one do not reach it), is the model's own formula for its two Linear layers.
        #expect(result.inference.measuredFlopsPerStep == result.inference.modelFlopsPerStep)
        #expect(result.inference.modelFlopsPerStep == 20 * Double(2 * 16 * 8 + 2 * 8))
        #expect(result.train.measuredFlopsPerStep > result.inference.measuredFlopsPerStep)
        #expect(result.train.timing.medianMs > 0 && result.train.framesPerSecond > 0 && result.peakTensorBytes > 0)
        #expect(SpeedBenchmark.table([result]).contains("| tiny | small | 2 x 10 |"))
        #expect(result.trainPairedSgemm.steps == 3 && result.trainPairedSgemm.medianSgemmGflops > 0)
    }

    /// The paired share divides each step's rate by the faster of the two products around it and takes
    /// the median over steps. Probes 100, 300, 100, 200 GFLOP/s around steps of 1, 1 and 2 ms of 0.1
    /// GFLOP each (100, 100, 50 GFLOP/s): references 300, 300, 200, shares 1/3, 1/3, 1/4.
    @Test func pairedSgemmUsesTheFasterNeighbourAndTheMedian() {
        var probes: [Double] = [100, 300, 100, 200]
        var clock: [UInt64] = [0, 1_000_000, 5_000_000, 6_000_000, 10_000_000, 12_000_000]
        let paired = SpeedBenchmark.pairedSgemm(steps: 3, trainFlops: 1e8, probe: { probes.removeFirst() },
                                                now: { clock.removeFirst() }) {}
        #expect(paired.steps == 3)
        #expect(abs(paired.medianFractionOfSgemm - 1.0 / 3) < 1e-12)
        #expect(paired.medianSgemmGflops == 200)
        #expect(probes.isEmpty && clock.isEmpty)
    }

    @Test func sgemmPeakAndResidentSetArePlausible() {
        let peak = SgemmPeak.measure(size: 256, repeats: 2)
        #expect(peak > 0.1 && peak < 1e5)
        #expect(peakResidentBytes() > 1 << 20)
    }

    @Test func runFolderNamesAreNeverReused() throws {
        let root = try TestData.temporaryDirectory("folders")
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let a = try RunFolder.create(in: root, what: "all small", date: date)
        let b = try RunFolder.create(in: root, what: "all small", date: date)
        #expect(a.id.hasSuffix("-all-small") && b.id == a.id + "-2")
    }

    /// Axis ticks are round (1, 2 or 5 times a power of ten) and cover the range; epoch axes step by whole
    /// epochs at least.
    @Test func chartTicksAreRound() {
        let t = Charts.ticks((0.0123, 0.0871))
        #expect(t.count == 4 && zip(t, [0.02, 0.04, 0.06, 0.08]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(Charts.ticks((-0.23, 0.61)).map { ($0 * 10).rounded() / 10 } == [-0.2, 0.0, 0.2, 0.4, 0.6])
        #expect(Charts.ticks((1, 3), minimumStep: 1) == [1, 2, 3])
        let axis = Charts.rounded((0.0123, 0.0871))
        #expect(axis.0 == 0 && abs(axis.1 - 0.1) < 1e-12)
        #expect(Charts.tickLabel(0.04, step: 0.02) == "0.04" && Charts.tickLabel(250, step: 50) == "250")
    }

    @Test func chartsAreWellFormedEvenWithMissingValues() throws {
        let svg = Charts.lines(title: "a < b", xLabel: "epoch", yLabel: "rho",
                               series: [("m", Charts.band([[nil, 0.1, nil, 0.3], [0.2, 0.15]])), ("n", [])])
        let url = try TestData.temporaryDirectory("svg").appendingPathComponent("c.svg")
        try Data(svg.utf8).write(to: url)
        #expect(RunFilesTests.isWellFormedXML(url))
        #expect(svg.contains("a &lt; b"))
        let bars = Charts.bars(title: "t", yLabel: "y", groups: [("m", [0, 0])], seriesNames: ["a", "b"])
        #expect(!bars.contains("nan") && !bars.contains("inf"))
    }
}

struct MachineInfoTests {
    /// /proc/self/maps of a test process is many pages long; the BLAS line sits beyond the first page.
    @Test func machineRecordNamesTheMappedOpenBLAS() throws {
        #expect(try #require(readSystemFile("/proc/self/maps")).count > 4096)
        let machine = MachineInfo.current(threads: 1)
        #expect(machine.blas.hasPrefix("OpenBLAS (") && machine.blas.contains("openblas") && machine.blas.contains("core \(MachineInfo.blasCore)"))
        #expect(MachineInfo.blasCore != "unknown" && !MachineInfo.blasCore.isEmpty)
        #expect(machine.cores >= 1 && machine.memoryBytes > 0 && machine.cpu != "")
    }
}
