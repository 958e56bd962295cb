import Foundation
import Testing
import TensorCore
@testable import Harness

/// `mpirun -np 2 bench model ... --distributed mpi` against one process on the same global batches
/// (harness.md "Beyond one machine"). These run real Open MPI ranks: they are skipped only where mpirun
/// or libmpi is missing and the environment variable CI is unset; under CI they always run (and fail
/// if MPI is missing: .ci/run installs it).
@Suite(.serialized, .enabled(if: MPITest.runs, "no mpirun or libmpi on this machine (CI unset)"))
struct DistributedTests {
    /// A model without BatchNorm (videosage report) and dropout 0: 2 ranks end with the parameters one
    /// process reaches on the same 18 global batches of 4 videos, and only rank 0 wrote anything.
    @Test func twoRanksMatchOneProcessWithoutBatchNorm() throws {
        let data = try MPITest.data("mpi-parity")
        let options = ["videosage", "--epochs", "3", "--dropout", "0", "--batch-size", "4", "--lr", "0.003"] + data
        let one = try MPITest.runOne(options, label: "mpi-parity-one")
        let two = try MPITest.runRanks(2, options, label: "mpi-parity-two")
        #expect(one.record.status == .completed && two.record.status == .completed)
        #expect(one.record.distributed == nil)
        #expect(two.record.distributed?.ranks == 2)
        #expect(two.record.distributed?.batchNorm == "none in this model")
        #expect(two.record.performance?.optimizerSteps == 18 && one.record.performance?.optimizerSteps == 18)
        #expect(two.record.chosenEpoch == one.record.chosenEpoch)
        #expect(two.record.epochs.map(\.trainFrames) == one.record.epochs.map(\.trainFrames))
        for (a, b) in zip(one.record.epochs, two.record.epochs) { #expect(abs(a.trainLoss! - b.trainLoss!) < 1e-6) }

        let p1 = try SafeTensors.load(from: one.folder.appendingPathComponent(ModelRun.checkpointFileName)).tensors
        let p2 = try SafeTensors.load(from: two.folder.appendingPathComponent(ModelRun.checkpointFileName)).tensors
        #expect(p1.keys.sorted() == p2.keys.sorted() && !p1.isEmpty)
        var largest: Float = 0
        for (key, a) in p1 { largest = max(largest, zip(a.values, p2[key]!.values).map { abs($0 - $1) }.max() ?? 0) }
        #expect(largest <= 1e-5, "largest parameter difference \(largest)")
    }

    /// A model with BatchNorm (csta report, dropout as published): the ranks' BatchNorm statistics are
    /// their own, so the run differs a little from one process, but it completes and lands close.
    @Test func twoRanksWithBatchNormCompleteCloseToOneProcess() throws {
        let data = try MPITest.data("mpi-batchnorm")
        let options = ["csta", "--epochs", "3", "--batch-size", "4"] + data
        let one = try MPITest.runOne(options, label: "mpi-bn-one")
        let two = try MPITest.runRanks(2, options, label: "mpi-bn-two")
        #expect(two.record.status == .completed)
        #expect(two.record.distributed?.batchNorm.contains("running statistics averaged over ranks") == true)
        let mse1 = try #require(one.record.test?.mse), mse2 = try #require(two.record.test?.mse)
        #expect(abs(mse2 - mse1) / mse1 < 0.05, "test mse \(mse2) vs one process \(mse1)")
        let rho1 = try #require(one.record.test?.spearmanRho.mean), rho2 = try #require(two.record.test?.spearmanRho.mean)
        #expect(abs(rho2 - rho1) < 0.2, "test rho \(rho2) vs one process \(rho1)")
        for (a, b) in zip(one.record.epochs, two.record.epochs) { #expect(abs(a.trainLoss! - b.trainLoss!) / a.trainLoss! < 0.05) }
    }

    /// SIGTERM to rank 1 alone: its stop flag rides the step's all-reduce, so both ranks stop at the same
    /// step and rank 0 records the run as interrupted.
    @Test func aStopOnOneRankStopsAll() throws {
        let record = try MPITest.signalRankOneAfterTheFirstEpoch(SIGTERM, label: "mpi-stop")
        #expect(record.status == .interrupted, "\(record.status): \(record.message ?? "")")
        #expect(record.stoppedAt?.reason.contains("stop requested on a rank") == true)
    }

    /// SIGKILL to rank 1 (a node lost, the OOM killer): mpirun ends rank 0 with SIGTERM and SIGKILL while
    /// it waits in the step's all-reduce, so it never reaches a step boundary; its run.json must still
    /// say the run was interrupted, not `running`.
    @Test func aKilledRankLeavesRankZerosRecordInterrupted() throws {
        let record = try MPITest.signalRankOneAfterTheFirstEpoch(SIGKILL, label: "mpi-kill")
        #expect(record.status == .interrupted, "\(record.status): \(record.message ?? "")")
        #expect(record.message?.contains("stop signal") == true && record.epochs.count >= 1)
    }
}

extension MPITest {
    /// A long 2-rank videosage run: once rank 0 has recorded an epoch, `signal` goes to rank 1 alone; returns
    /// rank 0's run.json after mpirun has ended (which it must do with a failure status).
    static func signalRankOneAfterTheFirstEpoch(_ signal: Int32, label: String) throws -> RunRecord {
        let data = try data(label)
        let results = try TestData.temporaryDirectory("\(label)-results")
        let process = Process()
        process.executableURL = mpirun
        process.arguments = launch(2) + [ThresholdCheckTests.benchExecutable.path, "model", "videosage", "--epochs", "500",
                            "--patience", "500", "--batch-size", "4", "--out", results.path, "--distributed", "mpi"] + data
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var runFile: URL?
        while Date() < deadline, runFile == nil {
            usleep(50_000)
            for folder in (try? FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil)) ?? [] {
                let file = folder.appendingPathComponent(ModelRun.runFileName)
                if let record = try? RunRecord.read(file), record.epochs.count >= 1 { runFile = file }
            }
        }
        let rank1 = rankProcess(1, under: process.processIdentifier)
        if let rank1 { kill(rank1, signal) } else { process.terminate() }
        process.waitUntilExit()
        let file = try #require(runFile, "the run never recorded an epoch")
        #expect(rank1 != nil, "rank 1's process was not found")
        #expect(process.terminationStatus != 0)
        return try RunRecord.read(file)
    }
}

/// Outside mpirun the flag is refused before anything is written, naming the problem and the fix.
@Suite struct DistributedRefusalTests {
    @Test func distributedOutsideMpirunIsAClearError() throws {
        let results = try TestData.temporaryDirectory("mpi-refused")
        var environment = ProcessInfo.processInfo.environment
        for name in DataParallel.launcherVariables { environment[name] = nil }
        let run = try ThresholdCheckTests.runBench(["model", "videosage", "--size", "small", "--epochs", "1", "--out", results.path,
                                                    "--distributed", "mpi"], environment: environment)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("--distributed mpi: this process was not started by mpirun")
                || run.output.contains("--distributed mpi: cannot load Open MPI"), "\(run.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: results.path).isEmpty)
    }
}

enum MPITest {
    static let mpirun: URL = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return found ?? URL(fileURLWithPath: "/usr/bin/mpirun")
    }()

    static var hasLibMPI: Bool {
        guard let handle = dlopen("libmpi.so.40", RTLD_LAZY) ?? dlopen("libmpi.so", RTLD_LAZY) else { return false }
        dlclose(handle)
        return true
    }

    /// Under CI the tests always run; elsewhere only where Open MPI is installed.
    static var runs: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || (FileManager.default.isExecutableFile(atPath: mpirun.path) && hasLibMPI)
    }

    /// mpirun's own options: K ranks on this machine whatever its core count; as root (CI containers)
    /// Open MPI also wants its explicit consent.
    static func launch(_ ranks: Int) -> [String] {
        ["-np", "\(ranks)", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
    }

    /// A small synthetic set (24 train, 8 val, 8 test videos of 20-40 frames, width 1024) and the run
    /// options every test shares.
    static func data(_ label: String) throws -> [String] {
        var config = TestData.smallConfig
        config.featureWidth = 1024
        let data = try TestData.synthetic(label, config: config)
        return ["--size", "small", "--data", data.dataFile.path, "--split", data.splitFile.path, "--seed", "1", "--threads", "1", "--quiet"]
    }

    static func runOne(_ options: [String], label: String) throws -> (folder: URL, record: RunRecord) {
        let results = try TestData.temporaryDirectory(label)
        let run = try ThresholdCheckTests.runBench(["model"] + options + ["--out", results.path])
        #expect(run.status == 0, "\(run.output)")
        return try onlyRun(in: results)
    }

    static func runRanks(_ ranks: Int, _ options: [String], label: String) throws -> (folder: URL, record: RunRecord) {
        let results = try TestData.temporaryDirectory(label)
        let process = Process()
        process.executableURL = mpirun
        process.arguments = launch(ranks) + [ThresholdCheckTests.benchExecutable.path, "model"] + options
            + ["--out", results.path, "--distributed", "mpi"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        return try onlyRun(in: results)
    }

    /// The one run folder under `results` (rank 0's; no other rank writes one).
    static func onlyRun(in results: URL) throws -> (folder: URL, record: RunRecord) {
        let folders = try FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil)
        try #require(folders.count == 1, "expected one run folder, found \(folders.map(\.lastPathComponent))")
        return (folders[0], try RunRecord.read(folders[0].appendingPathComponent(ModelRun.runFileName)))
    }

    /// The pid of rank `rank` among the descendants of mpirun `root`, from the OMPI_COMM_WORLD_RANK in its
    /// environment (Linux /proc).
    static func rankProcess(_ rank: Int, under root: Int32) -> Int32? {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        func parent(_ pid: Int32) -> Int32? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 ? Int32(fields[1]) : nil
        }
        func descends(_ pid: Int32) -> Bool {
            var current = pid
            for _ in 0..<8 {
                guard let up = parent(current), up > 1 else { return false }
                if up == root { return true }
                current = up
            }
            return false
        }
        return pids.first { pid in
            guard descends(pid), let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }
        }
    }
}
