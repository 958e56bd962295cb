import FileSupport
import Foundation

/// One row of MR.HiSum's `metadata.csv`.
public struct VideoMetadata: Equatable, Sendable {
    public var videoID: String
    public var yt8mFile: String
    public var randomID: String
    public var youtubeID: String
    /// Seconds.
    public var duration: Double
    public var views: Int
    /// YouTube-8M class ids.
    public var labels: [Int]

    public init(videoID: String, yt8mFile: String, randomID: String, youtubeID: String, duration: Double,
                views: Int, labels: [Int]) {
        self.videoID = videoID
        self.yt8mFile = yt8mFile
        self.randomID = randomID
        self.youtubeID = youtubeID
        self.duration = duration
        self.views = views
        self.labels = labels
    }
}

/// Reads and writes `metadata.csv` (`video_id, yt8m_file, random_id, youtube_id, duration, views, labels`).
public enum MetadataFile {
    static let columns = ["video_id", "yt8m_file", "random_id", "youtube_id", "duration", "views", "labels"]

    /// Rows keyed by `video_id`.
    public static func read(_ url: URL) throws -> [String: VideoMetadata] {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else { throw DataError.missingFile(file: file) }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw DataError.badMetadata(file: file, line: 0, reason: "not readable as UTF-8 text")
        }
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
        guard let header = lines.first else { throw DataError.badMetadata(file: file, line: 1, reason: "empty file") }
        let names = try fields(of: String(header), file: file, line: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        var index: [String: Int] = [:]
        for column in columns {
            guard let position = names.firstIndex(of: column) else {
                throw DataError.badMetadata(file: file, line: 1, reason: "no column \(column)")
            }
            index[column] = position
        }
        var rows: [String: VideoMetadata] = [:]
        for (offset, line) in lines.dropFirst().enumerated() {
            let number = offset + 2
            let values = try fields(of: String(line), file: file, line: number)
            guard values.count == names.count else {
                throw DataError.badMetadata(file: file, line: number,
                                            reason: "\(values.count) fields, header has \(names.count)")
            }
            func value(_ column: String) -> String { values[index[column]!].trimmingCharacters(in: .whitespaces) }
            guard let duration = Double(value("duration")) else {
                throw DataError.badMetadata(file: file, line: number, reason: "duration \(value("duration")) is not a number")
            }
            guard let views = Int(value("views")) else {
                throw DataError.badMetadata(file: file, line: number, reason: "views \(value("views")) is not an integer")
            }
            let labels = try parseLabels(value("labels"), file: file, line: number)
            let row = VideoMetadata(videoID: value("video_id"), yt8mFile: value("yt8m_file"),
                                    randomID: value("random_id"), youtubeID: value("youtube_id"),
                                    duration: duration, views: views, labels: labels)
            if rows[row.videoID] != nil {
                throw DataError.badMetadata(file: file, line: number, reason: "video_id \(row.videoID) repeats")
            }
            rows[row.videoID] = row
        }
        return rows
    }

    public static func write(_ rows: [VideoMetadata], to url: URL) throws {
        var text = columns.joined(separator: ",") + "\n"
        for row in rows {
            let labels = "[" + row.labels.map(String.init).joined(separator: ", ") + "]"
            let quotedLabels = row.labels.count > 1 ? "\"\(labels)\"" : labels
            let duration = row.duration == row.duration.rounded() ? String(Int(row.duration)) : String(row.duration)
            text += [row.videoID, row.yt8mFile, row.randomID, row.youtubeID, duration, String(row.views),
                     quotedLabels].joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Splits one CSV line; fields may be double-quoted (with `""` for a quote inside).
    static func fields(of line: String, file: String, line number: Int) throws -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    var lookahead = iterator
                    if lookahead.next() == "\"" {
                        current.append("\"")
                        iterator = lookahead
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                result.append(current)
                current = ""
            } else if character != "\r" {
                current.append(character)
            }
        }
        if quoted { throw DataError.badMetadata(file: file, line: number, reason: "unterminated quote") }
        result.append(current)
        return result
    }

    /// `[8]`, `[3, 17]` or `[]`.
    static func parseLabels(_ text: String, file: String, line: Int) throws -> [Int] {
        guard text.hasPrefix("["), text.hasSuffix("]") else {
            throw DataError.badMetadata(file: file, line: line, reason: "labels \(text) are not written like [8]")
        }
        let inner = text.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
        if inner.isEmpty { return [] }
        return try inner.split(separator: ",").map { part in
            guard let label = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw DataError.badMetadata(file: file, line: line, reason: "label \(part) is not an integer")
            }
            return label
        }
    }
}
