import Foundation
import Testing
@testable import Harness

/// `bench` re-executes itself with OPENBLAS_THREAD_TIMEOUT (OpenBLAS reads it only when it loads) unless
/// the user set it, and the run records what OpenBLAS ran with.
@Suite("OpenBLAS environment") struct BLASEnvironmentTests {
    func recordedBLAS(timeout: String?) throws -> String {
        let data = try TestData.synthetic("blas-env")
        let results = try TestData.temporaryDirectory("blas-env-results")
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_THREAD_TIMEOUT"] = timeout
        let run = try ThresholdCheckTests.runBench(
            ["model", "videosage", "--epochs", "1", "--size", "small", "--data", data.dataFile.path, "--split", data.splitFile.path,
             "--out", results.path, "--threads", "1", "--quiet"], environment: environment)
        #expect(run.status == 0, "\(run.output)")
        let folder = try #require(try FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil).first)
        return try RunRecord.read(folder.appendingPathComponent("run.json")).machine.blas
    }

    @Test func shortThreadTimeoutUnlessTheUserSetOne() throws {
        #expect(try recordedBLAS(timeout: nil).hasSuffix("thread timeout 2^4 cycles)"))
        #expect(try recordedBLAS(timeout: "9").hasSuffix("thread timeout 2^9 cycles)"))
    }
}
