import ArgumentParser
import FileSupport
import Foundation
import Harness
import Models

/// Shared by `bench all` and `bench model`. `parallel`: this process's rank of a data-parallel run.
func runSession(models: [String], comparison: Bool, data: DataOptions, protocolOptions: ProtocolOptions, run: RunOptions,
                schedule: ScheduleOverrideOptions, into: String? = nil, parallel: DataParallel? = nil) throws {
    // Rank 0 speaks for a data-parallel run; the other ranks print only errors.
    let progress = ProgressReporter(quiet: run.quiet || parallel.map { !$0.isRoot } ?? false)
    InterruptHandling.install()
    var options = SessionOptions(models: models)
    options.variant = run.variant
    options.size = run.size
    options.seeds = try run.seedList()
    options.threads = run.threads
    options.overrides = try schedule.overrides()
    options.modelOptions = try schedule.options()
    options.data = data.data == nil ? nil : try data.source(progress: progress)
    options.syntheticSeed = data.syntheticSeed
    options.resultsRoot = URL(fileURLWithPath: run.out)
    options.comparison = comparison
    options.allSplits = try protocolOptions.allSplits(data: data)
    options.selection = protocolOptions.selection
    options.foldSubset = try protocolOptions.foldSubset()
    options.into = into.map { URL(fileURLWithPath: $0) }
    options.parallel = parallel
    let result = try BenchSession.run(options, progress: progress)
    if run.json {
        let summary = try result.summary ?? Summary(records: result.records, runIds: [result.runId])
        printJSON(try JSONCoding.encoder.encode(summary))
    }
    for failure in result.failures { progress.log("FAILED \(failure.model): \(failure.message)") }
    if let parallel, !result.failures.isEmpty, parallel.collectivesStarted {
        // Rank 0 failed mid-training and has written its failed run.json; the other ranks may be waiting in
        // a collective call that will never come.
        parallel.abort(code: 1)
    }
    if let parallel, !parallel.isRoot {
        if result.interrupted { throw ExitCode(130) }
        return
    }
    if result.interrupted {
        FileHandle.standardError.write(Data("interrupted; what finished is in \(result.folder.path)\n".utf8))
        throw ExitCode(130)
    }
    if !result.failures.isEmpty { throw ExitCode.failure }
}

struct AllCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Train and test every registered model, one after another, then write the comparison.",
        discussion: """
        Writes results/<date>-<time>-all-<size>/ with one folder per model (run.json, curves.csv, predictions.h5, \
        best.safetensors.zst) and summary.md / summary.csv / summary.json plus SVG charts. Each model runs its \
        published schedule (see schedules.md); --epochs and the other schedule options override it for every model \
        and are recorded as overrides. Example: bench all --size small
        """)

    @OptionGroup var data: DataOptions
    @OptionGroup var evaluation: ProtocolOptions
    @OptionGroup var common: RunOptions
    @OptionGroup var schedule: ScheduleOverrideOptions
    @Option(help: "Comma-separated subset of models (default: every registered model).")
    var models: String?

    func run() throws {
        let names = models.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? ModelRegistry.standard.names
        guard !names.isEmpty else { throw ValidationError("no models are registered yet") }
        try runSession(models: names, comparison: true, data: data, protocolOptions: evaluation, run: common, schedule: schedule)
    }
}

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Train and test one model on its published schedule.",
        discussion: "Example: bench model csta --size small --epochs 50 (the override is recorded in run.json).")

    @Argument(help: ArgumentHelp(stringLiteral: "The model's registry name: "
                                 + ModelRegistry.standard.entries.map { "\($0.name) (\($0.summary))" }.joined(separator: ", ") + "."))
    var name: String
    @OptionGroup var data: DataOptions
    @OptionGroup var evaluation: ProtocolOptions
    @OptionGroup var common: RunOptions
    @OptionGroup var schedule: ScheduleOverrideOptions
    @Option(help: "Write into this comparison folder (instead of a new folder under --out): each run at <model>/seed-<s>/[split-<k>/], the run id the folder's name, no summary. A completed run of the same configuration and data there is skipped; an unfinished one is moved aside to a hidden .<name>.attempt-<n> and run again; a completed one of another configuration is refused. What each `bench sweep` task runs.")
    var into: String?
    @Option(help: "mpi: data-parallel training over the ranks of 'mpirun -np K bench model NAME ... --distributed mpi' (Open MPI); rank 0 writes the results.")
    var distributed: DistributedBackend?

    func run() throws {
        guard distributed != nil else {
            return try runSession(models: [name], comparison: false, data: data, protocolOptions: evaluation, run: common, schedule: schedule,
                                  into: into)
        }
        let parallel = try DataParallel.start()
        do {
            try runSession(models: [name], comparison: false, data: data, protocolOptions: evaluation, run: common, schedule: schedule,
                           into: into, parallel: parallel)
        } catch let error where !(error is ExitCode) {
            // Every rank meets bad input, and a persistently non-finite loss, alike, and ends with it; an
            // error of one rank alone mid-training would leave the others waiting forever.
            let shared = !parallel.collectivesStarted || (error as? HarnessError).map {
                if case .persistentNonFinite = $0 { return true } else { return false } } ?? false
            if !shared {
                FileHandle.standardError.write(Data("rank \(parallel.rank): \(error)\n".utf8))
                parallel.abort(code: 1)
            }
            parallel.finish()
            throw error
        } catch {
            parallel.finish()
            throw error
        }
        parallel.finish()
    }
}

enum DistributedBackend: String, ExpressibleByArgument {
    case mpi
}
