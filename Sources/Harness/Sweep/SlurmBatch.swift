import Foundation

/// What `bench sweep --slurm` passes to Slurm: `--partition`, `--time`, `--mem`, `--gres` as given
/// (Slurm's own syntax, checked by sbatch), and `--cpus-per-task`, which is also each task's `--threads`.
public struct SlurmOptions: Sendable, Equatable {
    public var partition: String?
    public var time: String?
    public var cpusPerTask: Int
    public var mem: String?
    public var gres: String?

    public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int = 1, mem: String? = nil, gres: String? = nil) {
        self.partition = partition
        self.time = time
        self.cpusPerTask = cpusPerTask
        self.mem = mem
        self.gres = gres
    }
}

/// The two batch scripts of a sweep on Slurm: a job array whose task `$SLURM_ARRAY_TASK_ID` runs the
/// sweep task of that index (one `bench model ... --into ...`), and a merge job, submitted with
/// `--dependency=afterok:<array>`, that runs `bench report` on each comparison folder.
public enum SlurmBatch {
    /// Slurm's array syntax for the indices: contiguous runs as ranges ("0-3,5,7-9").
    public static func arraySpec(_ indices: [Int]) -> String {
        var parts: [String] = [], i = 0
        let sorted = indices.sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// One word for bash: single-quoted, with each `'` written as `'\''`.
    public static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func header(_ name: String, output: URL, workingDirectory: URL, lines: [String]) -> [String] {
        ["#!/bin/bash", "#SBATCH --job-name=\(name)", "#SBATCH --output=\(output.path)", "#SBATCH --chdir=\(workingDirectory.path)"]
            + lines.map { "#SBATCH " + $0 }
    }

    static func resourceLines(_ options: SlurmOptions, cpus: Int) -> [String] {
        [options.partition.map { "--partition=\($0)" }, options.time.map { "--time=\($0)" }, "--cpus-per-task=\(cpus)",
         options.mem.map { "--mem=\($0)" }, options.gres.map { "--gres=\($0)" }].compactMap { $0 }
    }

    public static func arrayScript(sweep: String, tasks: [SweepTask], executable: String, options: SlurmOptions, logs: URL,
                                   workingDirectory: URL) -> String {
        var lines = header("bench-\(sweep)", output: logs.appendingPathComponent("%A_%a.out"), workingDirectory: workingDirectory,
                           lines: ["--array=\(arraySpec(tasks.map(\.index)))"] + resourceLines(options, cpus: options.cpusPerTask))
        lines += [
            "# Written by `bench sweep --slurm` (sweep '\(sweep)'): array task N runs task N of sweep.json, one `bench model`",
            "# into the sweep folder. A task whose run already completed with the same configuration and data is skipped",
            "# by `bench model --into` itself; an unfinished earlier attempt is moved aside (hidden) and run again.",
            "set -euo pipefail",
            "case \"$SLURM_ARRAY_TASK_ID\" in",
        ]
        for task in tasks {
            lines.append("  \(task.index)) # \(task.label)")
            lines.append("    exec " + ([executable] + task.arguments).map(quote).joined(separator: " ") + " ;;")
        }
        lines += ["  *) echo \"bench sweep '\(sweep)': no task $SLURM_ARRAY_TASK_ID in this script\" >&2; exit 2 ;;", "esac", ""]
        return lines.joined(separator: "\n")
    }

    public static func mergeScript(sweep: String, comparisons: [URL], reports: URL, executable: String, options: SlurmOptions,
                                   logs: URL, workingDirectory: URL) -> String {
        var merge = options
        merge.gres = nil
        merge.mem = nil
        var lines = header("bench-\(sweep)-merge", output: logs.appendingPathComponent("merge-%j.out"), workingDirectory: workingDirectory,
                           lines: ["--kill-on-invalid-dep=yes"] + resourceLines(merge, cpus: 1))
        lines += [
            "# Written by `bench sweep --slurm` (sweep '\(sweep)'): submitted with --dependency=afterok on the array, it merges",
            "# the runs into one comparison per data set with `bench report` (a new folder under \(reports.path) each time).",
            "set -euo pipefail",
        ]
        for comparison in comparisons {
            lines.append(([executable, "report", comparison.path, "--out", reports.path]).map(quote).joined(separator: " "))
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// The job id in `sbatch --parsable` output: "<id>" or "<id>;<cluster>".
    public static func parseJobId(_ output: String) throws -> String {
        let line = output.split(whereSeparator: \.isNewline).last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        let id = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw HarnessError.invalidArgument("sbatch --parsable printed '\(output.trimmingCharacters(in: .whitespacesAndNewlines))', not a job id")
        }
        return id
    }

    /// `sbatch` on the PATH, or nil.
    public static func findSbatch(path: String? = ProcessInfo.processInfo.environment["PATH"]) -> URL? {
        for folder in (path ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("sbatch")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Submits a script with `sbatch --parsable [extra]` and returns the job id.
    public static func submit(_ script: URL, extra: [String] = [], sbatch: URL) throws -> String {
        let process = Process()
        process.executableURL = sbatch
        process.arguments = ["--parsable"] + extra + [script.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError.invalidArgument("sbatch \(script.path) failed (exit \(process.terminationStatus)): "
                                               + String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return try parseJobId(String(decoding: output, as: UTF8.self))
    }
}
