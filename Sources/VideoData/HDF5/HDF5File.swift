@preconcurrency import CHDF5
import Foundation

/// An open HDF5 file. Reading opens it read-only, so a failed read can never modify it.
/// Not thread-safe as a whole: use one file (and its groups and data sets) from one thread.
public final class HDF5File {
    public let url: URL
    let id: hid_t
    private var isOpen = true

    private init(url: URL, id: hid_t) {
        self.url = url
        self.id = id
    }

    /// Opens an existing file read-only. Throws `HDF5Error` naming the file when it cannot be opened.
    public static func open(_ url: URL) throws -> HDF5File {
        try HDF5Library.locked {
            let location = HDF5Location(file: url.path, object: "/")
            let id = try location.check(H5Fopen(url.path, h5fAccessReadOnly, h5pDefault), "open read-only")
            return HDF5File(url: url, id: id)
        }
    }

    /// Whether the file starts with an HDF5 signature (false for a missing or unreadable file too).
    public static func isHDF5(_ url: URL) -> Bool {
        HDF5Library.locked {
            let answer = H5Fis_hdf5(url.path)
            _ = HDF5Library.takeErrorStack()
            return answer > 0
        }
    }

    /// Creates a new file; fails if one exists unless `overwrite` is set. Objects written through this
    /// module carry no modification times, so the same content gives the same bytes.
    public static func create(_ url: URL, overwrite: Bool = false) throws -> HDF5File {
        try HDF5Library.locked {
            let location = HDF5Location(file: url.path, object: "/")
            let flags = overwrite ? h5fAccessTruncate : h5fAccessExclusive
            let id = try location.check(H5Fcreate(url.path, flags, h5pDefault, h5pDefault), "create file")
            return HDF5File(url: url, id: id)
        }
    }

    /// The root group `/`.
    public func root() throws -> HDF5Group {
        try HDF5Library.locked {
            let location = HDF5Location(file: url.path, object: "/")
            let group = try location.check(H5Gopen2(id, "/", h5pDefault), "open root group")
            return HDF5Group(id: group, location: location)
        }
    }

    /// Flushes and closes the file. Groups and data sets still alive keep the underlying file open
    /// until they are released (HDF5's weak close), so drop them before renaming a written file.
    public func close() throws {
        try HDF5Library.locked {
            guard isOpen else { return }
            isOpen = false
            try HDF5Location(file: url.path, object: "/").check(H5Fclose(id), "close file")
        }
    }

    deinit {
        HDF5Library.locked {
            if isOpen {
                _ = H5Fclose(id)
                _ = HDF5Library.takeErrorStack()
            }
        }
    }
}
