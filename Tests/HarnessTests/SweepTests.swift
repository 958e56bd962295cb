import FileSupport
import Foundation
import Testing
@testable import Harness

/// `bench sweep` (harness.md "Beyond one machine"): a run matrix as tasks of one `bench model --into`
/// each, run here or written as a Slurm job array, merged by `bench report`'s code, resumed by skipping
/// what completed. The real-Slurm test is `tools/slurm/sweep-test.sh` (run by `.ci/run`).
@Suite(.serialized) struct SweepTests {
    static func bench(_ arguments: [String], environment: [String: String]? = nil, expect status: Int32 = 0) throws -> String {
        let run = try ThresholdCheckTests.runBench(arguments, environment: environment)
        #expect(run.status == status, "bench \(arguments.joined(separator: " ")): \(run.output)")
        return run.output
    }

    /// Every file under `folder` (hidden ones included) but the merged reports, the task logs and the
    /// latest task list (sweep.json, rewritten by every sweep over the folder).
    static func snapshot(_ folder: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let file as URL in enumerator {
            let relative = String(file.path.dropFirst(folder.path.count + 1))
            guard !relative.hasPrefix("reports/"), !relative.hasPrefix("logs/"), relative != "sweep.json",
                  try file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            out[relative] = try Data(contentsOf: file)
        }
        return out
    }

    static func latestReport(_ sweep: URL) throws -> Summary {
        let reports = sweep.appendingPathComponent("reports")
        let latest = try #require(try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted().last)
        return try Summary.read(reports.appendingPathComponent(latest).appendingPathComponent("summary.json"))
    }

    /// The quality statistics (throughput differs between processes) must be identical.
    static func expectSameStatistics(_ a: Summary, _ b: Summary, models: Int, pairs: Int) throws {
        let x = try #require(a.statistics), y = try #require(b.statistics)
        let quality = Set(ComparisonBuilder.qualityMetrics)
        #expect(x.models.filter { quality.contains($0.metric) }.count == models)
        #expect(x.pairs.count == pairs)
        #expect(x.models.filter { quality.contains($0.metric) } == y.models.filter { quality.contains($0.metric) })
        #expect(x.pairs == y.pairs && x.references == y.references)
        #expect(x.resamplingSeed == y.resamplingSeed && x.bootstrapReplicates == y.bootstrapReplicates)
    }

    /// 2 models x 2 seeds in the CI profile: `bench sweep --local` (2 tasks at a time) merges to the
    /// statistics `bench all --seeds 2` writes; run again it runs nothing and changes no file; a task left
    /// failed runs again with its earlier files kept aside; a different configuration is refused.
    @Test func localSweepMatchesBenchAllAndResumes() throws {
        let data = try TestData.synthetic("sweep-local")
        let root = try TestData.temporaryDirectory("sweep-local")
        let common = ["--data", data.dataFile.path, "--split", data.splitFile.path, "--profile", "ci", "--threads", "1"]
        _ = try Self.bench(["all", "--models", "videosage,edsnet", "--seeds", "2", "--size", "small", "--quiet",
                            "--out", root.appendingPathComponent("all").path] + common)
        let all = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("all").path)
        let together = try Summary.read(root.appendingPathComponent("all/\(all[0])/summary.json"))

        let sweepArguments = ["sweep", "--local", "--jobs", "2", "--name", "ci", "--out", root.path, "--models", "videosage,edsnet",
                              "--seeds", "2", "--sizes", "small"] + common
        let first = try Self.bench(sweepArguments)
        #expect(first.contains("4 tasks, 4 to run") && first.contains("ran 4 of 4 tasks"), "\(first)")
        let sweep = root.appendingPathComponent("ci")
        for model in ["videosage", "edsnet"] {
            for seed in 0..<2 {
                let record = try RunRecord.read(sweep.appendingPathComponent("\(model)/seed-\(seed)/run.json"))
                #expect(record.status == .completed && record.runId == "ci" && record.threads == 1)
            }
        }
        try Self.expectSameStatistics(together, try Self.latestReport(sweep), models: 2 * 6, pairs: 6)

        // Again: every task is skipped and no run file changes.
        let before = try Self.snapshot(sweep)
        let second = try Self.bench(sweepArguments)
        #expect(second.contains("0 to run") && second.contains("ran 0 of 4 tasks (4 already completed)"), "\(second)")
        #expect(try Self.snapshot(sweep) == before)

        // A task whose run.json says failed runs again; what it left is kept, hidden, beside it.
        let failedFolder = sweep.appendingPathComponent("edsnet/seed-1")
        var record = try RunRecord.read(failedFolder.appendingPathComponent("run.json"))
        record.status = .failed
        record.message = "a failure staged by the test"
        try AtomicFile.write(try record.encoded(), to: failedFolder.appendingPathComponent("run.json"))
        let earlier = try Self.snapshot(failedFolder)
        let third = try Self.bench(sweepArguments)
        #expect(third.contains("1 to run (1 of them again") && third.contains("ran 1 of 4 tasks"), "\(third)")
        let aside = sweep.appendingPathComponent("edsnet/.seed-1.attempt-1")
        #expect(try Self.snapshot(aside) == earlier)
        #expect(try RunRecord.read(failedFolder.appendingPathComponent("run.json")).status == .completed)
        try Self.expectSameStatistics(together, try Self.latestReport(sweep), models: 2 * 6, pairs: 6)

        // A task still running in another process (it holds the task's lock): refused, nothing touched.
        let runningFile = sweep.appendingPathComponent("videosage/seed-0/run.json")
        let completedBytes = try Data(contentsOf: runningFile)
        var running = try RunRecord.read(runningFile)
        running.status = .running
        try AtomicFile.write(try running.encoded(), to: runningFile)
        do {
            let lock = try TaskFolder.Lock(runningFile.deletingLastPathComponent())
            let busy = try Self.snapshot(sweep)
            let refused = try Self.bench(sweepArguments, expect: 1)
            #expect(refused.contains("another bench process is running this task") && refused.contains("videosage/seed-0"), "\(refused)")
            #expect(try Self.snapshot(sweep) == busy)
            withExtendedLifetime(lock) {}
        }
        try AtomicFile.write(completedBytes, to: runningFile)

        // The same folder with another schedule: refused, naming the run and the difference; nothing written.
        let unchanged = try Self.snapshot(sweep)
        let reports = try FileManager.default.contentsOfDirectory(atPath: sweep.appendingPathComponent("reports").path)
        let other = try Self.bench(sweepArguments + ["--epochs", "2"], expect: 1)
        #expect(other.contains("a completed run of another configuration") && other.contains("edsnet/seed-0") && other.contains("epochs"), "\(other)")
        #expect(try Self.snapshot(sweep) == unchanged)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sweep.appendingPathComponent("reports").path) == reports)
    }

    /// Every fold of an eccv16 5-split file as its own task (`--splits all`, tau and rho against the
    /// TVSum annotators): the merged comparison is the one `bench model --splits all` writes, test
    /// coverage and fold spread included.
    @Test func foldsAsTasksMergeLikeSplitsAll() throws {
        let set = try ECCV16RunTests.shared.get()
        let root = try TestData.temporaryDirectory("sweep-folds")
        let annotations = try #require(set.annotationsFile)
        let common = ["--data", set.dataFile.path, "--split", set.splitFile.path, "--splits", "all", "--annotations", annotations.path,
                      "--epochs", "2", "--threads", "1"]
        _ = try Self.bench(["model", "videosage", "--size", "small", "--seeds", "2", "--quiet", "--out", root.appendingPathComponent("model").path] + common)
        let model = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("model").path)
        let together = try Summary.read(root.appendingPathComponent("model/\(model[0])/summary.json"))
        let output = try Self.bench(["sweep", "--local", "--jobs", "2", "--name", "folds", "--out", root.path, "--models", "videosage",
                                     "--sizes", "small", "--seeds", "2"] + common)
        #expect(output.contains("10 tasks, 10 to run"), "\(output)")
        let sweep = root.appendingPathComponent("folds")
        let record = try RunRecord.read(sweep.appendingPathComponent("videosage/seed-1/split-3/run.json"))
        #expect(record.data.splitIndex == 3 && record.evaluationProtocol?.folds == 5 && record.correlationProtocol == .annotators)
        let merged = try Self.latestReport(sweep)
        try Self.expectSameStatistics(together, merged, models: 4, pairs: 0)
        #expect(merged.testCoverage == together.testCoverage && merged.foldSpread == together.foldSpread)
        #expect(merged.testCoverage?.first?.timesTested == [0, 15])
    }

    /// Without --submit, --slurm writes the array and merge scripts and says how to submit; run by bash
    /// as Slurm would (task ids in SLURM_ARRAY_TASK_ID), they train both tasks and merge them.
    @Test func slurmScriptsRunEachTaskAndMerge() throws {
        let data = try TestData.synthetic("sweep-slurm-script")
        let root = try TestData.temporaryDirectory("sweep-slurm-script")
        let output = try Self.bench(["sweep", "--slurm", "--name", "s", "--out", root.path, "--models", "videosage", "--seeds", "2",
                                     "--sizes", "small", "--profile", "ci", "--data", data.dataFile.path, "--split", data.splitFile.path,
                                     "--partition", "short", "--time", "00:30:00", "--cpus-per-task", "2", "--mem", "4G", "--gres", "gpu:1"])
        #expect(output.contains("to submit:") && output.contains("sbatch --dependency=afterok:"), "\(output)")
        let sweep = root.appendingPathComponent("s")
        let submissions = try FileManager.default.contentsOfDirectory(atPath: sweep.appendingPathComponent("slurm").path).filter { $0 != "logs" }
        #expect(submissions.count == 1)
        let batch = sweep.appendingPathComponent("slurm/\(submissions[0])")
        let array = try String(contentsOf: batch.appendingPathComponent("array.sbatch"), encoding: .utf8)
        let merge = try String(contentsOf: batch.appendingPathComponent("merge.sbatch"), encoding: .utf8)
        for line in ["#SBATCH --array=0-1", "#SBATCH --partition=short", "#SBATCH --time=00:30:00", "#SBATCH --cpus-per-task=2",
                     "#SBATCH --mem=4G", "#SBATCH --gres=gpu:1", "'--threads' '2'", "'--seed' '1'", "'--into' '\(sweep.path)'"] {
            #expect(array.contains(line), "array.sbatch lacks \(line):\n\(array)")
        }
        #expect(merge.contains("#SBATCH --kill-on-invalid-dep=yes") && merge.contains("'report' '\(sweep.path)' '--out' '\(sweep.path)/reports'"), "\(merge)")
        let tasks = try JSONCoding.decoder.decode(SweepFile.self, from: Data(contentsOf: sweep.appendingPathComponent("sweep.json"))).tasks
        #expect(tasks.map(\.seed) == [0, 1] && tasks.allSatisfy { $0.state == .pending })

        func bash(_ script: URL, task: Int?) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script.path]
            var environment = ProcessInfo.processInfo.environment
            if let task { environment["SLURM_ARRAY_TASK_ID"] = "\(task)" }
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        for task in 0..<2 {
            let (status, text) = try bash(batch.appendingPathComponent("array.sbatch"), task: task)
            #expect(status == 0, "\(text)")
        }
        let (noTask, message) = try bash(batch.appendingPathComponent("array.sbatch"), task: 7)
        #expect(noTask == 2 && message.contains("no task 7"))
        let (status, text) = try bash(batch.appendingPathComponent("merge.sbatch"), task: nil)
        #expect(status == 0, "\(text)")
        let merged = try Self.latestReport(sweep)
        #expect(merged.rows.map(\.seed).sorted() == [0, 1] && merged.rows.allSatisfy { $0.status == "completed" && $0.model == "videosage" })

        // Submitted again, the completed tasks are left out: only the merge remains.
        let again = try Self.bench(["sweep", "--slurm", "--name", "s", "--out", root.path, "--models", "videosage", "--seeds", "2",
                                    "--sizes", "small", "--profile", "ci", "--data", data.dataFile.path, "--split", data.splitFile.path,
                                    "--cpus-per-task", "2"])
        #expect(again.contains("0 to run") && again.contains("no array to submit"), "\(again)")
    }

    @Test func slurmTextHelpers() throws {
        #expect(SlurmBatch.arraySpec([7, 0, 1, 2, 5, 8]) == "0-2,5,7-8")
        #expect(SlurmBatch.quote("it's") == #"'it'\''s'"#)
        #expect(try SlurmBatch.parseJobId("4242\n") == "4242")
        #expect(try SlurmBatch.parseJobId("17;cluster-a\n") == "17")
        #expect(throws: HarnessError.self) { try SlurmBatch.parseJobId("sbatch: error: Batch job submission failed") }
    }

    /// Bad input is refused with a message naming it, and nothing is written under --out.
    @Test func badInputIsRefusedBeforeAnythingIsWritten() throws {
        let data = try TestData.synthetic("sweep-bad")
        let eccv16 = try ECCV16RunTests.shared.get()
        let directory = try TestData.temporaryDirectory("sweep-bad")
        let out = directory.appendingPathComponent("results")
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let dataArguments = ["--data", data.dataFile.path, "--split", data.splitFile.path]
        let good = ["--name", "x", "--out", out.path, "--models", "videosage", "--sizes", "small"] + dataArguments
        let cases: [([String], String, [String: String]?)] = [
            (["--local", "--name", "x", "--out", out.path, "--models", "nosuch"] + dataArguments, "unknown model 'nosuch'", nil),
            (["--local", "--variants", "best"] + good, "--variants: unknown variant 'best'", nil),
            (["--local", "--sizes", "huge", "--name", "x", "--out", out.path] + dataArguments, "--sizes: unknown size 'huge'", nil),
            (["--local", "--name", "x", "--out", out.path, "--models", ","] + dataArguments, "the sweep matrix is empty: no models", nil),
            (["--local", "--seeds", "1,1"] + good, "lists a seed twice", nil),
            (["--local", "--models", "videosage,videosage", "--name", "x", "--out", out.path] + dataArguments, "models list videosage twice", nil),
            (["--local", "--splits", "9", "--name", "x", "--out", out.path, "--models", "videosage", "--data", eccv16.dataFile.path,
              "--split", eccv16.splitFile.path], "fold 9 is not in", nil),
            (good, "give --local (run the tasks here) or --slurm", nil),
            (["--local", "--slurm"] + good, "give --local or --slurm, not both", nil),
            (["--local", "--submit"] + good, "--submit goes with --slurm", nil),
            (["--slurm", "--jobs", "2"] + good, "--jobs is for --local", nil),
            (["--local", "--partition", "gpu", "--gres", "gpu:1"] + good, "--partition, --gres go with --slurm", nil),
            (["--slurm", "--threads", "2", "--cpus-per-task", "4"] + good, "--threads 2 and --cpus-per-task 4 differ", nil),
            (["--local", "--out", out.path, "--models", "videosage"] + dataArguments, "give the sweep a --name", nil),
            (["--local", "--name", "../up"] + dataArguments, "--name '../up'", nil),
            (["--slurm", "--submit"] + good, "--submit needs Slurm's sbatch on the PATH", ["PATH": "/nonexistent"]),
            (["--local", "--out", out.path, "--file", directory.appendingPathComponent("missing.json").path], "cannot read the sweep file", nil),
            (["--local", "--out", out.path, "--file", try file("bad.json", "{\"models\": [\"videosage\"")], "bad.json: not a JSON object", nil),
            (["--local", "--out", out.path, "--file", try file("unknown.json", #"{"models": "videosage", "epoch": 3}"#)], "unknown.json: Unknown key 'epoch'", nil),
            (["--local", "--out", out.path, "--file", try file("both.json", #"{"models": "videosage"}"#), "--epochs", "2"],
             "give the matrix in", nil),
            (["--local", "--out", out.path, "--file", try file("clash.json", #"{"models": "videosage", "data": "a.h5", "datasets": [{"data": "b.h5"}]}"#)],
             "give the data in 'datasets' or as 'data', not both", nil),
            (["--local", "--out", out.path, "--file", try file("dataset.json", #"{"models": "videosage", "datasets": [{"data": "a.h5", "splits": "all"}]}"#)],
             "datasets[0]: unknown key 'splits'", nil),
        ]
        for (arguments, message, environment) in cases {
            let run = try ThresholdCheckTests.runBench(["sweep"] + arguments, environment: environment)
            #expect(run.status != 0 && run.output.contains(message), "bench sweep \(arguments.joined(separator: " ")): \(run.output)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "bench sweep \(arguments.joined(separator: " ")) wrote \(out.path)")
        }
    }

    /// A sweep file: its keys are the options' names, lists joined, paths relative to the file; several
    /// data sets each get a comparison folder (and a merge) of their own.
    @Test func aSweepFileGivesTheSameTasksAsFlags() throws {
        let first = try TestData.synthetic("sweep-file-a")
        var config = TestData.smallConfig
        config.seed = 8
        let second = try TestData.synthetic("sweep-file-b", config: config)
        let root = try TestData.temporaryDirectory("sweep-file")
        let sweepFile = first.dataFile.deletingLastPathComponent().appendingPathComponent("grid.json")
        try Data("""
        {"models": ["videosage", "edsnet"], "seeds": [3, 5], "sizes": "small", "batch_size": 4, "profile": "ci", "option": [],
         "datasets": [{"data": "\(first.dataFile.lastPathComponent)", "split": "\(first.splitFile.lastPathComponent)"},
                      {"data": "\(second.dataFile.path)", "split": "\(second.splitFile.path)"}]}
        """.utf8).write(to: sweepFile)
        let output = try Self.bench(["sweep", "--slurm", "--file", sweepFile.path, "--out", root.path])
        #expect(output.contains("sweep 'grid'") && output.contains("8 tasks, 8 to run"), "\(output)")
        let sweep = root.appendingPathComponent("grid")
        let written = try JSONCoding.decoder.decode(SweepFile.self, from: Data(contentsOf: sweep.appendingPathComponent("sweep.json")))
        let labels = SweepPlanner.datasetLabels([first, second])
        #expect(labels == ["mr_hisum", "mr_hisum-2"])
        #expect(written.comparisons == labels.map { sweep.appendingPathComponent($0).path })
        let task = try #require(written.tasks.first { $0.model == "edsnet" && $0.seed == 5 && $0.dataset == labels[1] })
        #expect(task.folder == sweep.appendingPathComponent("\(labels[1])/edsnet/seed-5").path)
        #expect(task.arguments == ["model", "edsnet", "--variant", "report", "--size", "small", "--seed", "5", "--threads", "1",
                                   "--data", second.dataFile.path, "--split", second.splitFile.path, "--correlation", "gtscore", "--selection", "val",
                                   "--batch-size", "4", "--profile", "ci", "--into", sweep.appendingPathComponent(labels[1]).path])
        let submission = try #require(try FileManager.default.contentsOfDirectory(atPath: sweep.appendingPathComponent("slurm").path)
            .first { $0.hasSuffix("-submission") })
        let merge = try String(contentsOf: sweep.appendingPathComponent("slurm/\(submission)/merge.sbatch"), encoding: .utf8)
        #expect(labels.allSatisfy { merge.contains("'report' '\(sweep.appendingPathComponent($0).path)'") })
    }
}
