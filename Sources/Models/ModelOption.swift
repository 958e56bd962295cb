import Foundation

/// One `--option key=value` a model variant understands: its allowed values and its default, so a
/// typo or an out-of-range value is refused before anything is built, and the resolved value (default
/// included) is what run.json and the checkpoint record.
public struct ModelOption: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case boolean
        case integer(ClosedRange<Int>)
        /// An odd integer in the range (kernel sizes).
        case oddInteger(ClosedRange<Int>)
        case choice([String])
        /// A path to a file that must exist when the model is built.
        case file
        /// Comma-separated positive integers (e.g. anchor scales "4,8,16").
        case integerList(ClosedRange<Int>)
        /// A real number in the range (a dropout probability).
        case number(ClosedRange<Double>)
    }

    public let name: String
    public let values: Values
    /// nil = no default (absent unless given; only for `.file`).
    public let defaultValue: String?
    public let help: String

    public init(_ name: String, _ values: Values, default defaultValue: String?, help: String) {
        self.name = name
        self.values = values
        self.defaultValue = defaultValue
        self.help = help
    }

    /// What the allowed values are, in words.
    public var allowedDescription: String {
        switch values {
        case .boolean: return "true or false"
        case let .integer(r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case let .oddInteger(r): return "an odd integer in \(r.lowerBound)...\(r.upperBound)"
        case let .choice(c): return "one of \(c.joined(separator: ", "))"
        case .file: return "a path to a file"
        case let .integerList(r): return "comma-separated integers in \(r.lowerBound)...\(r.upperBound)"
        case let .number(r): return "a number in [\(r.lowerBound), \(r.upperBound)]"
        }
    }

    /// The value in its canonical spelling ("true"/"false", integers without signs or zeros), or nil when
    /// it is not allowed. Canonical values make two runs with `yes` and `true` record the same option.
    public func canonical(_ raw: String) -> String? {
        switch values {
        case .boolean:
            switch raw.lowercased() {
            case "true", "1", "yes", "on": return "true"
            case "false", "0", "no", "off": return "false"
            default: return nil
            }
        case let .integer(r):
            guard let v = Int(raw), r.contains(v) else { return nil }
            return "\(v)"
        case let .oddInteger(r):
            guard let v = Int(raw), r.contains(v), v % 2 == 1 else { return nil }
            return "\(v)"
        case let .choice(c):
            return c.contains(raw) ? raw : nil
        case .file:
            return raw.isEmpty ? nil : raw
        case let .number(r):
            guard let v = Double(raw), v.isFinite, r.contains(v) else { return nil }
            return "\(v)"
        case let .integerList(r):
            let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0.map(r.contains) ?? false }) else { return nil }
            return parts.map { "\($0!)" }.joined(separator: ",")
        }
    }
}
