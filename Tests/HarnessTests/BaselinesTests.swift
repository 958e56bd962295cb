import Foundation
import Testing
@testable import Harness

/// The committed baselines: the report's table reads, and the comparison shows it labelled with its data.
struct BaselinesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func reportTableIsShownBesideOurResultsWithItsDataLabelled() throws {
        let table = try ReportTable.read(Self.repository.appendingPathComponent("baselines/report-table.json"))
        #expect(table.dataset == "MR.HiSum")
        #expect(Set(table.models.keys) == ["logonet", "csta", "edsnet", "videosage"])
        #expect(table.models["logonet"]?.spearmanRho == 0.1909 && table.models["csta"]?.params == 1355906)

        let folder = try ThresholdCheckTests.cachedFolder
        let summary = try Summary.load(resultsFolder: folder)
        let markdown = SummaryWriter.markdown(summary, report: table)
        #expect(markdown.contains("Data: SYNTHETIC MR.HiSum-format stand-in (not MR.HiSum)"))
        #expect(markdown.contains("## The report's published table (for reference)"))
        #expect(markdown.contains("Data: MR.HiSum (seed report"))
        #expect(markdown.contains("NOT comparable"))
        #expect(markdown.contains("| logonet | 0.0632 | 0.1336 | 0.1909 | 11812355 |"))
    }
}
