import CMPI
import Foundation
import Models
import TensorCore

/// This process's place in a data-parallel run under `mpirun -np K bench model ... --distributed mpi`
/// (harness.md "Beyond one machine"). Every rank builds the same model from the same seed and takes its
/// share of each global batch of the same seeded plan; one MPI_Allreduce per optimizer step sums the
/// gradients, frame counts, loss, stop and non-finite flags (`TrainingStep.reduceGradients`), so every
/// rank applies the same update. Rank 0 alone validates, tests and writes files.
///
/// Open MPI is loaded at run time (Sources/CMPI), not linked, so the package builds and tests without
/// MPI and one binary runs both ways; a SwiftPM trait would need a second build to get MPI at all.
/// MPI can be initialised once per process, so there is one instance, made by `start()`.
public final class DataParallel: GradientReducer {
    public let rank: Int
    public let size: Int
    public var isRoot: Bool { rank == 0 }
    /// Whether this rank has entered a collective call: from then on a rank failing alone leaves the
    /// others waiting for it, and only MPI_Abort ends them.
    public private(set) var collectivesStarted = false

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Open MPI's launcher sets these in every rank it starts (PMIx for Slurm's srun).
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK"]

    /// Loads libmpi and initialises MPI. Refuses, naming the problem, when libmpi is absent or the
    /// process was not started by an MPI launcher (MPI would otherwise start a silent one-rank "job").
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DataParallel {
        var message = [CChar](repeating: 0, count: 512)
        guard bench_mpi_load(&message, message.count) == 0 else {
            throw HarnessError.invalidArgument("--distributed mpi: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)); install Open MPI "
                                               + "(Debian: apt-get install openmpi-bin libopenmpi-dev)")
        }
        guard launcherVariables.contains(where: { environment[$0] != nil }) else {
            throw HarnessError.invalidArgument("--distributed mpi: this process was not started by mpirun (no "
                + launcherVariables.joined(separator: " or ") + " in its environment); run it as "
                + "mpirun -np K bench model NAME ... --distributed mpi")
        }
        var rank: Int32 = 0, size: Int32 = 0
        let status = bench_mpi_init(&rank, &size)
        guard status == 0 else { throw HarnessError.invalidArgument("--distributed mpi: MPI_Init_thread failed (error \(status))") }
        return DataParallel(rank: Int(rank), size: Int(size))
    }

    public func allReduceSum(_ buffer: inout [Float]) {
        // MPI's default error handler aborts the job on a failed call, so the status is always 0 here.
        collectivesStarted = true
        let count = buffer.count
        _ = buffer.withUnsafeMutableBufferPointer { bench_mpi_allreduce_sum_float($0.baseAddress, count) }
    }

    public func broadcast(_ buffer: inout [Float], root: Int = 0) {
        collectivesStarted = true
        let count = buffer.count
        _ = buffer.withUnsafeMutableBufferPointer { bench_mpi_broadcast_float($0.baseAddress, count, Int32(root)) }
    }

    /// Every rank must call this before exiting normally.
    public func finish() { _ = bench_mpi_finalize() }

    /// Ends every rank of the job (a failure one rank cannot share with the others).
    public func abort(code: Int32) -> Never {
        bench_mpi_abort(code)
        exit(code)
    }

    /// This rank's part of a global batch: items rank, rank + K, rank + 2K, ... (empty when the batch has
    /// fewer items than ranks).
    public func share<T>(_ items: [T]) -> [T] {
        stride(from: rank, to: items.count, by: size).map { items[$0] }
    }

    /// Rank 0's parameters and buffers on every rank (the same seed builds the same model; this makes sure).
    func broadcastState(of model: any Module) {
        let state = model.namedParameters() + model.namedBuffers()
        var flat = state.flatMap { $0.1.values }
        broadcast(&flat)
        var offset = 0
        for (_, tensor) in state {
            tensor.assign(Array(flat[offset..<offset + tensor.count]))
            offset += tensor.count
        }
    }

    /// Each rank's dropout (and any other training randomness) its own stream, derived from the seed and
    /// the rank. Rank 0 keeps the one-process stream, so a one-rank run is the one-process run.
    func separateRandomStreams(of model: any Module) {
        guard rank > 0 else { return }
        for source in model.randomSources() { source.rederive(salt: UInt64(rank)) }
    }

    /// BatchNorm's running statistics, accumulated per rank from its own batches (as PyTorch DDP without
    /// SyncBatchNorm), replaced by their mean over ranks on every rank: what evaluation uses.
    static func isRunningStatistic(_ key: String) -> Bool { key.hasSuffix("running_mean") || key.hasSuffix("running_var") }

    func averageRunningStatistics(of model: any Module) {
        let statistics = model.namedBuffers().filter { Self.isRunningStatistic($0.0) }.map(\.1)
        guard !statistics.isEmpty else { return }
        var flat = statistics.flatMap(\.values)
        allReduceSum(&flat)
        let scale = 1 / Float(size)
        var offset = 0
        for tensor in statistics {
            tensor.assign(flat[offset..<offset + tensor.count].map { $0 * scale })
            offset += tensor.count
        }
    }

    /// Whether any rank says yes (a stop request, rank 0's early-stopping decision).
    func anyRank(_ yes: Bool) -> Bool {
        var flag: [Float] = [yes ? 1 : 0]
        allReduceSum(&flag)
        return flag[0] > 0
    }

    /// What run.json records about the run's distribution.
    func info(model: any Module, threads: Int) -> DistributedInfo {
        let hasBatchNorm = model.namedBuffers().contains { Self.isRunningStatistic($0.0) }
        return DistributedInfo(
            backend: "mpi", ranks: size, threadsPerRank: threads,
            batches: "each global batch of the seeded plan split across ranks (videos rank, rank + K, ...); gradients summed by one "
                + "MPI_Allreduce per step, each rank's weighted by its share of the batch's frames (or videos, as the loss averages)",
            batchNorm: hasBatchNorm
                ? "batch statistics per rank (no SyncBatchNorm); running statistics averaged over ranks before each evaluation"
                : "none in this model",
            dropout: "a stream per rank derived from the seed and the rank (rank 0: the one-process stream)",
            evaluation: "rank 0 alone validates, tests and writes files")
    }
}

/// run.json's `distributed`: how a data-parallel run split its work (absent for one process).
public struct DistributedInfo: Codable, Sendable, Equatable {
    public var backend: String
    public var ranks: Int
    public var threadsPerRank: Int
    public var batches: String
    public var batchNorm: String
    public var dropout: String
    public var evaluation: String
}
