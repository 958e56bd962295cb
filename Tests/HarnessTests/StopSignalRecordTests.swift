import Foundation
import Testing
@testable import Harness

/// run.json's stop watcher: the interrupted form is written once a stop is requested, later saves keep
/// it, and the final record is never overwritten.
struct StopSignalRecordTests {
    static func contents(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    static func waitFor(_ url: URL, toRead expected: String) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if contents(url) == expected { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func aStopRequestWritesTheInterruptedFormUntilTheFinalRecord() throws {
        let file = try TestData.temporaryDirectory("stop-record").appendingPathComponent("run.json")
        let stop = StopRequest()
        let watched = StopSignalRecord(runFile: file, stop: stop)
        try watched.save(record: Data("running 1".utf8), interrupted: Data("interrupted 1".utf8))
        usleep(100_000)
        #expect(Self.contents(file) == "running 1", "no stop requested: the running record stays")
        stop.request()
        #expect(Self.waitFor(file, toRead: "interrupted 1"), "the watcher wrote \(Self.contents(file))")
        // A save after the stop (the epoch that was finishing) writes its interrupted form.
        try watched.save(record: Data("running 2".utf8), interrupted: Data("interrupted 2".utf8))
        #expect(Self.contents(file) == "interrupted 2")
        try watched.finish(record: Data("final".utf8))
        try watched.save(record: Data("running 3".utf8), interrupted: Data("interrupted 3".utf8))
        #expect(Self.contents(file) == "final")
    }

    @Test func aFinishedRecordIsNotReplacedByALateStop() throws {
        let file = try TestData.temporaryDirectory("stop-record-late").appendingPathComponent("run.json")
        let stop = StopRequest()
        let watched = StopSignalRecord(runFile: file, stop: stop)
        try watched.save(record: Data("running".utf8), interrupted: Data("interrupted".utf8))
        try watched.finish(record: Data("completed".utf8))
        stop.request()
        usleep(200_000)
        #expect(Self.contents(file) == "completed")
    }
}
