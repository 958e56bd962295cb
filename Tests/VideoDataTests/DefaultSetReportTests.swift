import Foundation
import Testing
@testable import VideoData

/// Generates the full default synthetic set and prints its summary and `bench data inspect` text.
/// Opt-in (it writes ~80 MB and is slow in debug builds): set VIDEODATA_DEFAULT_SET_DIR to a folder
/// path, e.g. `VIDEODATA_DEFAULT_SET_DIR=/tmp/synth swift test -c release --filter DefaultSetReport`.
@Suite struct DefaultSetReportTests {
    static let target = ProcessInfo.processInfo.environment["VIDEODATA_DEFAULT_SET_DIR"]

    @Test(.enabled(if: target != nil)) func generateAndInspectTheDefaultSet() throws {
        let directory = URL(fileURLWithPath: try #require(Self.target))
        let summary = try SyntheticMRHiSum.generate(.default, to: directory, overwrite: true)
        print(summary)
        let report = try DatasetInspector.inspect(summary.dataFile, expectedFeatureWidth: 1024)
        print(report)
        #expect(report.problems.isEmpty)
        #expect(report.videosRead == 160)
        let dataset = try MRHiSumDataset(file: summary.dataFile, splitFile: summary.splitFile)
        var rhos: [Double] = []
        for key in dataset.split.allKeys {
            let gtscore = try dataset.video(key).gtscore.map(Double.init)
            let interest = try SyntheticMRHiSum.interest(of: key, in: directory).map(Double.init)
            rhos.append(spearman(interest, gtscore))
        }
        let mean = rhos.reduce(0, +) / Double(rhos.count)
        print(String(format: "noiseless interest vs gtscore, Spearman over %d videos: mean %.3f, min %.3f",
                     rhos.count, mean, rhos.min()!))
        #expect(mean > 0.8)
    }
}
