import Evaluation
import Foundation
import Testing
import VideoData
@testable import Harness

/// The `annotators` rank-correlation protocol through the harness (evaluation.md "Rank correlation"):
/// tau and rho of every test video are the means over its TVSum annotators at the picks, validation
/// chooses the epoch with the same values, the leave-one-out human agreement is a reference row, the
/// protocol is recorded, and bad annotation input is refused before anything is written.
@Suite(.serialized) struct AnnotatorProtocolTests {
    static func annotatorSource(_ set: SyntheticECCV16Summary) -> DataSource {
        var source = ECCV16RunTests.source(set)
        source.correlation = .annotators
        source.annotationsFile = set.annotationsFile
        return source
    }

    /// Kendall tau-b by counting every pair (the definition, O(n^2)); nil when either side is constant.
    static func bruteTauB(_ x: [Double], _ y: [Double]) -> Double? {
        var concordant = 0.0, discordant = 0.0, tiesX = 0.0, tiesY = 0.0
        for i in x.indices {
            for j in (i + 1)..<x.count {
                let dx = x[i] - x[j], dy = y[i] - y[j]
                if dx == 0 && dy == 0 { continue }
                if dx == 0 { tiesX += 1 } else if dy == 0 { tiesY += 1 } else if (dx > 0) == (dy > 0) { concordant += 1 } else { discordant += 1 }
            }
        }
        let denominator = ((concordant + discordant + tiesX) * (concordant + discordant + tiesY)).squareRoot()
        return denominator > 0 ? (concordant - discordant) / denominator : nil
    }

    /// Spearman rho as Pearson's r of average ranks, ranks found by counting.
    static func bruteRho(_ x: [Double], _ y: [Double]) -> Double? {
        func ranks(_ v: [Double]) -> [Double] {
            v.map { a in Double(v.filter { $0 < a }.count) + (Double(v.filter { $0 == a }.count) + 1) / 2 }
        }
        let rx = ranks(x), ry = ranks(y)
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        let sxy = zip(rx, ry).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = rx.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), syy = ry.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : nil
    }

    static func mean(_ values: [Double?]) -> Double? {
        let defined = values.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }

    /// `ydata-anno.tsv` read by splitting its lines here (not through the project's reader).
    static func annotationRows(_ url: URL) throws -> [String: [[Double]]] {
        var rows: [String: [[Double]]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: "\t")
            rows[String(fields[0]), default: []].append(fields[2].split(separator: ",").map { Double(String($0))! })
        }
        return rows
    }

    @Test func tauAndRhoAreMeansOverTheAnnotatorsWithTheHumanAgreementBeside() throws {
        let set = try ECCV16RunTests.shared.get()
        let results = try TestData.temporaryDirectory("annotators-run")
        var lines: [String] = []
        let result = try ECCV16RunTests.run(RunFilesTests.options(Self.annotatorSource(set), results: results, epochs: 2)) { lines.append($0) }
        let record = try #require(result.records.first)
        #expect(record.status == .completed)
        let recorded = try #require(record.evaluationProtocol?.correlation)
        let annotationsFile = try #require(set.annotationsFile)
        #expect(recorded.name == .annotators && recorded.annotations == annotationsFile.path)
        #expect(recorded.mappingFrom == "video_name in \(set.dataFile.path)")
        #expect(lines.contains { $0.hasPrefix("rank correlation: annotators protocol") })

        let split = try SplitFile.read(set.splitFile, index: 0)
        let dataset = try ECCV16Dataset(file: set.dataFile, split: split)
        let names = try AnnotationMapping.fromVideoNames(in: set.dataFile)
        let annotations = try Self.annotationRows(annotationsFile)
        let test = try #require(record.test)
        let folder = result.folder.appendingPathComponent("tiny").appendingPathComponent("seed-0")
        let entries = try PredictionsFile.read(folder.appendingPathComponent(ModelRun.predictionsFileName))
        #expect(Set(entries.map(\.key)) == Set(split.test))
        var differsFromGtscore = false
        var humanTaus: [Double] = [], humanRhos: [Double] = []
        for entry in entries {
            let video = try dataset.video(entry.key)
            let id = try #require(names[entry.key])
            let rows = try #require(annotations[id]).map { row in video.picks.map { row[$0] } }
            #expect(rows.count == 4)
            let prediction = entry.pred.map(Double.init)
            let tau = Self.mean(rows.map { Self.bruteTauB(prediction, $0) }), rho = Self.mean(rows.map { Self.bruteRho(prediction, $0) })
            let metrics = try #require(test.videos.first { $0.name == entry.key })
            let recordedTau = try #require(metrics.kendallTau), recordedRho = try #require(metrics.spearmanRho)
            let expectedTau = try #require(tau), expectedRho = try #require(rho)
            #expect(abs(recordedTau - expectedTau) < 1e-9 && abs(recordedRho - expectedRho) < 1e-9, "video \(entry.key)")
            if let gtTau = Self.bruteTauB(prediction, video.gtscore.map(Double.init)), abs(gtTau - tau!) > 1e-6 { differsFromGtscore = true }

            // Leave one out: each annotator against the mean of the other three.
            let others = rows.indices.map { i in (0..<video.picks.count).map { j in
                rows.indices.filter { $0 != i }.map { rows[$0][j] }.reduce(0, +) / Double(rows.count - 1) } }
            let humanTau = try #require(Self.mean(rows.indices.map { Self.bruteTauB(rows[$0], others[$0]) }))
            let humanRho = try #require(Self.mean(rows.indices.map { Self.bruteRho(rows[$0], others[$0]) }))
            let agreement = try #require(record.humanAgreement?.first { $0.name == entry.key })
            #expect(agreement.annotators == 4)
            let agreedTau = try #require(agreement.kendallTau), agreedRho = try #require(agreement.spearmanRho)
            #expect(abs(agreedTau - humanTau) < 1e-9 && abs(agreedRho - humanRho) < 1e-9)
            humanTaus.append(humanTau)
            humanRhos.append(humanRho)
        }
        // Otherwise the test could not tell the protocols apart.
        #expect(differsFromGtscore)
        let meanTau = try #require(test.kendallTau.mean)
        #expect(abs(meanTau - test.videos.compactMap(\.kendallTau).reduce(0, +) / Double(test.kendallTau.evaluated)) < 1e-12)

        // The human row of the comparison: the mean agreement over the test videos; tau and rho only.
        let references = try #require(result.summary?.statistics?.references)
        let human = references.filter { $0.name == "human" }
        #expect(Set(human.map(\.metric)) == ["kendall_tau", "spearman_rho"])
        #expect(abs(human.first { $0.metric == "kendall_tau" }!.mean - humanTaus.reduce(0, +) / Double(humanTaus.count)) < 1e-9)
        #expect(abs(human.first { $0.metric == "spearman_rho" }!.mean - humanRhos.reduce(0, +) / Double(humanRhos.count)) < 1e-9)
        #expect(references.contains { $0.name == "random" && $0.metric == "kendall_tau" })
        let markdown = try String(contentsOf: result.folder.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("Rank correlation protocol: `annotators`") && markdown.contains("| human | n/a | "))
        #expect(markdown.contains("SYNTHETIC eccv16-format stand-in"), "a stand-in given with --data is still labelled synthetic")
        #expect(result.summary?.rows.allSatisfy { $0.correlation == "annotators" } == true)
        #expect(result.summary?.correlation?.name == .annotators)

        // Runs of the two protocols measure different things: one report of both is refused.
        let gtscoreRun = try ECCV16RunTests.run(RunFilesTests.options(ECCV16RunTests.source(set), results: results, epochs: 1))
        #expect(gtscoreRun.records.first?.correlationProtocol == .gtscore)
        let mixed = try #require(throws: HarnessError.self) {
            try Summary(records: result.records + gtscoreRun.records, runIds: [result.runId, gtscoreRun.runId])
        }
        #expect("\(mixed)".contains("different rank-correlation protocols: annotators (") && "\(mixed)".contains(") and gtscore ("))
    }

    @Test func theEpochIsChosenWithTheProtocolsOwnValues() throws {
        let set = try ECCV16RunTests.shared.get()
        var options = RunFilesTests.options(Self.annotatorSource(set), results: try TestData.temporaryDirectory("annotators-select"), epochs: 3)
        // On the test fold, the chosen epoch's validation rho is the test rho: both are the annotators'.
        options.selection = .test
        let record = try #require(try ECCV16RunTests.run(options).records.first)
        let chosen = try #require(record.chosenEpoch)
        let valRho = try #require(record.epochs[chosen].valSpearmanRho), testRho = try #require(record.test?.spearmanRho.mean)
        #expect(abs(valRho - testRho) < 1e-12)
    }

    /// A writable copy of the shared set's h5 and split (and the annotations, with `edit` applied).
    static func copy(_ label: String, editAnnotations edit: (String) -> String = { $0 }) throws -> (source: DataSource, folder: URL) {
        let set = try ECCV16RunTests.shared.get()
        let folder = try TestData.temporaryDirectory(label)
        let data = folder.appendingPathComponent("tvsum-like.h5"), splits = folder.appendingPathComponent("folds.json")
        try FileManager.default.copyItem(at: set.dataFile, to: data)
        try FileManager.default.copyItem(at: set.splitFile, to: splits)
        let annotations = folder.appendingPathComponent("ydata-anno.tsv")
        try Data(edit(try String(contentsOf: set.annotationsFile!, encoding: .utf8)).utf8).write(to: annotations)
        var source = DataSource(dataFile: data, splitFile: splits, synthetic: false)
        source.correlation = .annotators
        source.annotationsFile = annotations
        return (source, folder)
    }

    static func refusal(_ source: DataSource, folder: URL) -> String {
        let results = folder.appendingPathComponent("results")
        do {
            _ = try ECCV16RunTests.run(RunFilesTests.options(source, results: results, epochs: 1))
            return "no error"
        } catch {
            return FileManager.default.fileExists(atPath: results.path) ? "results written before the error: \(error)" : "\(error)"
        }
    }

    @Test func badAnnotationInputIsRefusedByNameBeforeAnythingIsWritten() throws {
        let set = try ECCV16RunTests.shared.get()
        let names = try AnnotationMapping.fromVideoNames(in: set.dataFile)
        let split = try SplitFile.read(set.splitFile, index: 0)
        let victimGroup = split.test[0], victim = names[victimGroup]!

        var (source, folder) = try Self.copy("annotators-bad-protocol")
        source.annotationsFile = nil
        #expect(Self.refusal(source, folder: folder) == "--correlation annotators needs --annotations (TVSum's ydata-anno.tsv)")
        (source, folder) = try Self.copy("annotators-bad-gtscore")
        source.correlation = .gtscore
        #expect(Self.refusal(source, folder: folder).hasPrefix("--annotations and --annotation-map are read by --correlation annotators only"))
        (source, folder) = try Self.copy("annotators-bad-summe")
        source.eccv16Set = .summe
        #expect(Self.refusal(source, folder: folder).contains("is SumMe (--dataset)"))
        var mrhisum = try TestData.synthetic("annotators-on-mrhisum")
        mrhisum.correlation = .annotators
        mrhisum.annotationsFile = set.annotationsFile
        #expect(Self.refusal(mrhisum, folder: try TestData.temporaryDirectory("annotators-on-mrhisum-results"))
                    == "--correlation annotators needs an eccv16 TVSum file, but \(mrhisum.dataFile.path) is MR.HiSum")

        // One annotator's row a frame short: the file, the video id and its group, the counts.
        (source, folder) = try Self.copy("annotators-bad-frames") { text in
            var done = false
            return text.split(separator: "\n").map { line -> String in
                guard !done, line.hasPrefix(victim + "\t") else { return String(line) }
                done = true
                return String(line[..<line.lastIndex(of: ",")!])
            }.joined(separator: "\n") + "\n"
        }
        let short = Self.refusal(source, folder: folder)
        #expect(short.contains(source.annotationsFile!.path) && short.contains("video \(victim)") && short.contains("annotator 2 scores"), "\(short)")
        // Every row of the video a frame short: consistent in the file, but not the video's n_frames.
        (source, folder) = try Self.copy("annotators-bad-nframes") { text in
            text.split(separator: "\n").map { line -> String in
                line.hasPrefix(victim + "\t") ? String(line[..<line.lastIndex(of: ",")!]) : String(line)
            }.joined(separator: "\n") + "\n"
        }
        let frames = try ECCV16Dataset(file: set.dataFile, split: split).video(victimGroup).frameCount
        let nFrames = Self.refusal(source, folder: folder)
        #expect(nFrames.contains("video \(victim) (h5 group \(victimGroup)): annotator 1 scores \(frames - 1) frames, expected \(frames)"), "\(nFrames)")
        // A video the annotations do not have.
        (source, folder) = try Self.copy("annotators-bad-unknown") { text in
            text.split(separator: "\n").filter { !$0.hasPrefix(victim + "\t") }.joined(separator: "\n") + "\n"
        }
        let unknown = Self.refusal(source, folder: folder)
        #expect(unknown.contains("video \(victim): mapped from h5 group \(victimGroup), but the annotations have no such video"), "\(unknown)")
        // A mapping file that leaves a group out.
        (source, folder) = try Self.copy("annotators-bad-map")
        let map = folder.appendingPathComponent("map.tsv")
        try Data(names.filter { $0.key != victimGroup }.map { "\($0.key)\t\($0.value)" }.joined(separator: "\n").utf8).write(to: map)
        source.annotationMap = map
        #expect(Self.refusal(source, folder: folder) == "\(map.path), video \(victimGroup): not in the mapping file")
        // With the full mapping the same copy runs.
        try Data(names.map { "\($0.key)\t\($0.value)" }.joined(separator: "\n").utf8).write(to: map)
        let mapped = try PreparedData.open(source, expectedFeatureWidth: nil)
        #expect(mapped.annotators?.mappingFrom == map.path && mapped.annotators?.videoCount == split.allKeys.count)
    }

    @Test(arguments: [
        (["model", "videosage", "--annotations", "ydata-anno.tsv"], "Error: --annotations needs --data with an eccv16 TVSum file"),
        (["all", "--correlation", "annotators"], "Error: --correlation annotators needs --data"),
        (["model", "videosage", "--correlation", "frames"], "Error: The value 'frames' is invalid for '--correlation <correlation>'"),
    ])
    func protocolOptionsAreRefusedByName(arguments: [String], message: String) throws {
        let run = try HardeningCLITests.bench(arguments)
        #expect(run.status != 0, "\(run.output)")
        #expect(run.output.contains(message), "\(run.output)")
    }
}
