import ArgumentParser
import FileSupport
import Foundation
import Harness
import Models

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Expand a run matrix (models x variants x sizes x seeds x data sets x folds) into tasks, each one `bench model` run, and run them here or as a Slurm job array; then merge with `bench report`.",
        discussion: """
        The sweep folder <out>/<name>/ is the comparison: each task writes <model>/seed-<s>/[split-<k>/] there (with \
        several data sets, one comparison folder per data set; with several variants or sizes, <variant>-<size>/ \
        levels), sweep.json lists the tasks, and each merge writes a new reports/<date>-<time>-report/. Running or \
        submitting the same sweep again skips every task whose run completed with the same configuration and data, \
        and runs an unfinished one again after moving its files aside (hidden .<name>.attempt-<n>).

        bench sweep --local --name ci --models videosage,edsnet --seeds 2 --sizes small --profile ci --jobs 2
        bench sweep --slurm --file sweep.json --partition gpu --time 04:00:00 --cpus-per-task 8 --gres gpu:1 --submit
        """)

    @OptionGroup var matrix: SweepMatrixOptions
    @Option(help: "A sweep file (JSON; keys are the matrix options' names, plus 'datasets': a list of data options). Not with matrix options on the command line.")
    var file: String?
    @Option(help: "The sweep's name: its folder is <out>/<name> (default: the sweep file's name). Give the same name again to resume.")
    var name: String?
    @Option(help: "Results root of the sweep folder.")
    var out: String = "results"
    @Flag(help: "Run the tasks here, --jobs at a time, then merge.")
    var local = false
    @Flag(help: "Write a Slurm job-array script and a merge job (--dependency=afterok on the array).")
    var slurm = false
    @Flag(help: "With --slurm: submit both with sbatch and print the job ids.")
    var submit = false
    @Option(parsing: .unconditional, help: "With --local: tasks run at once (default 1).")
    var jobs: Int?
    @Option(parsing: .unconditional, help: "Threads per task (part of each run's configuration). Default: --local, this machine's cores / --jobs; --slurm, --cpus-per-task or 1.")
    var threads: Int?
    @Option(help: "Slurm partition (#SBATCH --partition).") var partition: String?
    @Option(help: "Slurm time limit per task, e.g. 04:00:00 (#SBATCH --time).") var time: String?
    @Option(parsing: .unconditional, help: "Slurm CPUs per task (#SBATCH --cpus-per-task); also each task's --threads.") var cpusPerTask: Int?
    @Option(help: "Slurm memory per task, e.g. 16G (#SBATCH --mem).") var mem: String?
    @Option(help: "Slurm generic resources per task, e.g. gpu:1 (#SBATCH --gres).") var gres: String?
    @Option(help: "The bench executable the tasks run (default: this one; give the path the compute nodes see).")
    var bench: String?

    func validate() throws {
        if local == slurm { throw HarnessError.invalidArgument(local ? "give --local or --slurm, not both" : "give --local (run the tasks here) or --slurm (write a Slurm job array)") }
        if submit && !slurm { throw HarnessError.invalidArgument("--submit goes with --slurm") }
        if slurm, jobs != nil { throw HarnessError.invalidArgument("--jobs is for --local (Slurm runs the array's tasks as its resources allow)") }
        let slurmOnly = [("--partition", partition != nil), ("--time", time != nil), ("--cpus-per-task", cpusPerTask != nil),
                         ("--mem", mem != nil), ("--gres", gres != nil)].filter(\.1).map(\.0)
        if local, !slurmOnly.isEmpty { throw HarnessError.invalidArgument("\(slurmOnly.joined(separator: ", ")) go with --slurm, not --local") }
        try NumericOption.atLeast(jobs, 1, "--jobs")
        try NumericOption.atLeast(threads, 1, "--threads")
        try NumericOption.atLeast(cpusPerTask, 1, "--cpus-per-task")
        if let threads, let cpusPerTask, threads != cpusPerTask {
            throw HarnessError.invalidArgument("--threads \(threads) and --cpus-per-task \(cpusPerTask) differ: each task runs as many threads as it has CPUs (give one of them)")
        }
        if let file, !matrix.given.isEmpty {
            throw HarnessError.invalidArgument("give the matrix in \(file) or as options, not both: \(matrix.given.joined(separator: ", "))")
        }
    }

    func run() throws {
        let progress = ProgressReporter()
        // Everything is checked before the sweep folder is written: names, the matrix, the data, earlier runs.
        let (options, datasetOptions) = try file.map(SweepFileReader.read) ?? (matrix, nil)
        let sweepName = try Self.checkedName(name ?? file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent })
        let sbatch = submit ? SlurmBatch.findSbatch() : nil
        if submit && sbatch == nil {
            throw HarnessError.invalidArgument("--submit needs Slurm's sbatch on the PATH; without --submit the scripts are written for you to submit")
        }
        let executable = try Self.executable(bench)
        let taskThreads = slurm ? (cpusPerTask ?? threads ?? 1) : (threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / (jobs ?? 1)))
        let dataOptions = datasetOptions ?? [options.data]
        let sources = try dataOptions.map { try $0.source(progress: progress) }
        var sweepMatrix = SweepMatrix(models: options.modelList(), datasets: sources)
        sweepMatrix.variants = try options.variantList()
        sweepMatrix.sizes = try options.sizeList()
        sweepMatrix.seeds = try options.seedList()
        sweepMatrix.allSplits = try dataOptions.map { try options.evaluation.allSplits(data: $0) }.contains(true)
        sweepMatrix.foldSubset = try options.evaluation.foldSubset()
        sweepMatrix.selection = options.evaluation.selection
        sweepMatrix.overrides = try options.schedule.overrides()
        sweepMatrix.modelOptions = try options.schedule.options()
        sweepMatrix.threads = taskThreads
        let folder = URL(fileURLWithPath: out).appendingPathComponent(sweepName).standardizedFileURL
        let (tasks, comparisons) = try SweepPlanner.plan(sweepMatrix, folder: folder, arguments: { key in
            let data = dataOptions[sources.firstIndex { $0.dataFile == key.dataset.dataFile && $0.splitFile == key.dataset.splitFile }!]
            return Self.taskArguments(key, data: data, source: key.dataset, evaluation: options.evaluation, schedule: options.schedule,
                                      threads: taskThreads)
        }, log: progress.log)

        try AtomicFile.createFolder(folder)
        try AtomicFile.write(try JSONCoding.encoder.encode(SweepFile(name: sweepName, comparisons: comparisons.map(\.path), tasks: tasks)),
                             to: folder.appendingPathComponent("sweep.json"))
        let toRun = tasks.filter(\.toRun)
        let again = toRun.filter { $0.state == .rerun }.count
        say("sweep '\(sweepName)' in \(folder.path): \(tasks.count) tasks, \(toRun.count) to run (\(again) of them again after an unfinished attempt), "
              + "\(tasks.count - toRun.count) already completed; \(taskThreads) thread(s) per task")
        let reports = folder.appendingPathComponent("reports")
        if local {
            try runHere(toRun, total: tasks.count, executable: executable, comparisons: comparisons, folder: folder, reports: reports)
        } else {
            try writeBatch(toRun, sweep: sweepName, executable: executable, comparisons: comparisons, folder: folder, reports: reports,
                           threads: taskThreads, sbatch: sbatch)
        }
    }

    private func runHere(_ toRun: [SweepTask], total: Int, executable: URL, comparisons: [URL], folder: URL, reports: URL) throws {
        InterruptHandling.install()
        let outcome = try LocalSweep.run(toRun, executable: executable, jobs: jobs ?? 1, logs: folder.appendingPathComponent("logs"),
                                         log: { line in say(line) })
        let notStarted = toRun.count - outcome.ran
        say("ran \(outcome.ran) of \(total) tasks (\(total - toRun.count) already completed), \(outcome.failed.count) failed or interrupted"
              + (outcome.interrupted ? "; interrupted" + (notStarted > 0 ? ", \(notStarted) tasks not started" : "") : ""))
        for comparison in comparisons {
            guard (try? Summary.runRecords(in: comparison))?.isEmpty == false else {
                say("no runs in \(comparison.path) yet: nothing to merge")
                continue
            }
            let (merged, report) = try RunMerge.report([comparison], root: reports)
            say("comparison of \(merged.rows.count) runs written to \(report.path) (summary.md)")
        }
        if outcome.interrupted { throw ExitCode(130) }
        if !outcome.failed.isEmpty {
            for failure in outcome.failed { say("FAILED task \(failure.task.index) \(failure.task.label): see \(failure.log.path)") }
            throw ExitCode.failure
        }
    }

    private func writeBatch(_ toRun: [SweepTask], sweep: String, executable: URL, comparisons: [URL], folder: URL, reports: URL,
                            threads: Int, sbatch: URL?) throws {
        let slurmFolder = folder.appendingPathComponent("slurm")
        let logs = slurmFolder.appendingPathComponent("logs")
        try AtomicFile.createFolder(logs)
        let options = SlurmOptions(partition: partition, time: time, cpusPerTask: threads, mem: mem, gres: gres)
        let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        // Each submission's scripts are new files beside the earlier ones.
        let (_, batch) = try RunFolder.create(in: slurmFolder, what: "submission")
        var arrayScript: URL?
        if !toRun.isEmpty {
            let url = batch.appendingPathComponent("array.sbatch")
            try AtomicFile.write(Data(SlurmBatch.arrayScript(sweep: sweep, tasks: toRun, executable: executable.path, options: options,
                                                             logs: logs, workingDirectory: workingDirectory).utf8), to: url)
            arrayScript = url
        }
        let mergeScript = batch.appendingPathComponent("merge.sbatch")
        try AtomicFile.write(Data(SlurmBatch.mergeScript(sweep: sweep, comparisons: comparisons, reports: reports, executable: executable.path,
                                                         options: options, logs: logs, workingDirectory: workingDirectory).utf8), to: mergeScript)
        if let arrayScript { say("array script (\(toRun.count) tasks, --array=\(SlurmBatch.arraySpec(toRun.map(\.index)))): \(arrayScript.path)") }
        else { say("every task has completed: no array to submit, only the merge") }
        say("merge script: \(mergeScript.path)")
        say("task logs: \(logs.path)")
        guard let sbatch else {
            say("to submit:")
            if let arrayScript {
                say("  array=$(sbatch --parsable \(SlurmBatch.quote(arrayScript.path)))")
                say("  sbatch --dependency=afterok:${array%%;*} --kill-on-invalid-dep=yes \(SlurmBatch.quote(mergeScript.path))")
            } else {
                say("  sbatch \(SlurmBatch.quote(mergeScript.path))")
            }
            say("or run this command again with --submit")
            return
        }
        var dependency: [String] = []
        if let arrayScript {
            let arrayId = try SlurmBatch.submit(arrayScript, sbatch: sbatch)
            say("array job: \(arrayId)")
            dependency = ["--dependency=afterok:\(arrayId)", "--kill-on-invalid-dep=yes"]
        }
        let mergeId = try SlurmBatch.submit(mergeScript, extra: dependency, sbatch: sbatch)
        say("merge job: \(mergeId)" + (dependency.isEmpty ? "" : " (after the array completes; writes \(reports.path)/<date>-<time>-report/)"))
    }

    /// The `bench model` arguments of one task.
    static func taskArguments(_ key: SweepTaskKey, data: DataOptions, source: DataSource, evaluation: ProtocolOptions,
                              schedule: ScheduleOverrideOptions, threads: Int) -> [String] {
        var arguments = ["model", key.model, "--variant", key.variant.rawValue, "--size", key.size.rawValue, "--seed", "\(key.seed)",
                         "--threads", "\(threads)"]
        if data.data == nil {
            arguments += ["--synthetic-seed", "\(data.syntheticSeed)"]
        } else {
            arguments += ["--data", source.dataFile.standardizedFileURL.path, "--split", source.splitFile.standardizedFileURL.path]
            if let set = data.dataset { arguments += ["--dataset", set.rawValue] }
            if let reduction = data.f1Reduction { arguments += ["--f1-reduction", reduction.rawValue] }
            arguments += ["--correlation", source.correlation.rawValue]
            if let file = source.annotationsFile { arguments += ["--annotations", file.standardizedFileURL.path] }
            if let file = source.annotationMap { arguments += ["--annotation-map", file.standardizedFileURL.path] }
            if let fold = key.fold { arguments += ["--splits", "\(fold)"] } else if source.splitIndex != 0 { arguments += ["--split-index", "\(source.splitIndex)"] }
        }
        arguments += ["--selection", evaluation.selection.rawValue] + schedule.arguments + ["--into", key.comparison.path]
        return arguments
    }

    static func checkedName(_ name: String?) throws -> String {
        guard let name else { throw HarnessError.invalidArgument("give the sweep a --name (its folder under --out; the same name resumes it)") }
        guard !name.isEmpty, !name.hasPrefix("."), name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw HarnessError.invalidArgument("--name '\(name)': use letters, digits, '-', '_' and '.' (not first)")
        }
        return name
    }

    /// The executable the tasks run: --bench, else this process's own.
    static func executable(_ given: String?) throws -> URL {
        let url = given.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw HarnessError.invalidArgument("--bench \(url.path): not an executable file")
        }
        return url
    }
}

/// A line on stdout at once, not when a buffer fills: into a file or a pipe (a CI log) too, progress shows.
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
