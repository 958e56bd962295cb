import Foundation

/// A failed call into the HDF5 C library: which file, which object, what was being done, and the
/// library's own error stack (outermost call first).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let object: String
    public let operation: String
    public let stack: [String]

    public var description: String {
        var text = "HDF5 error in \(file), object \(object): \(operation) failed"
        if !stack.isEmpty { text += "\n  " + stack.joined(separator: "\n  ") }
        return text
    }

    /// Builds the error from the library's current error stack (and clears it).
    static func fromLibrary(file: String, object: String, operation: String) -> HDF5Error {
        HDF5Error(file: file, object: object, operation: operation, stack: HDF5Library.takeErrorStack())
    }
}

/// Where an HDF5 object lives, for error messages.
struct HDF5Location: Sendable {
    let file: String
    let object: String

    func child(_ name: String) -> HDF5Location {
        HDF5Location(file: file, object: object == "/" ? "/" + name : object + "/" + name)
    }

    /// Returns `id` when it is a valid identifier, otherwise throws with the library's error stack.
    @discardableResult
    func check(_ id: Int64, _ operation: @autoclosure () -> String) throws -> Int64 {
        if id < 0 { throw HDF5Error.fromLibrary(file: file, object: object, operation: operation()) }
        return id
    }

    /// Throws when a status code (`herr_t`, `htri_t`) is negative.
    func check(_ status: Int32, _ operation: @autoclosure () -> String) throws {
        if status < 0 { throw HDF5Error.fromLibrary(file: file, object: object, operation: operation()) }
    }
}
