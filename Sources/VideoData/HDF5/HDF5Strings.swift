@preconcurrency import CHDF5
import Foundation

/// String data sets, for the eccv16 files' `video_name` (h5py writes `np.string_` as a fixed-length
/// scalar and `str` as a variable-length one; both are read).
extension HDF5Dataset {
    /// Reads a scalar (or one-element) string data set.
    public func readString() throws -> String {
        let count = try shape().reduce(1, *)
        return try HDF5Library.locked {
            let type = try location.check(H5Dget_type(id), "read element type")
            defer { _ = H5Tclose(type) }
            guard H5Tget_class(type) == H5T_STRING, count == 1 else {
                throw HDF5Error(file: location.file, object: location.object, operation: "read string",
                                stack: ["the data set does not hold one string"])
            }
            if H5Tis_variable_str(type) > 0 {
                let memoryType = try location.check(H5Tcopy(H5T_C_S1_g), "make string type")
                defer { _ = H5Tclose(memoryType) }
                try location.check(H5Tset_size(memoryType, Int(bitPattern: UInt(H5T_VARIABLE_SIZE))), "size string type")
                try location.check(H5Tset_cset(memoryType, H5Tget_cset(type)), "match character set")
                var pointer: UnsafeMutablePointer<CChar>? = nil
                try location.check(H5Dread(id, memoryType, h5sAll, h5sAll, h5pDefault, &pointer), "read string")
                defer { if let pointer { _ = H5free_memory(pointer) } }
                return pointer.map { String(cString: $0) } ?? ""
            }
            var buffer = [CChar](repeating: 0, count: H5Tget_size(type) + 1)
            try location.check(H5Dread(id, type, h5sAll, h5sAll, h5pDefault, &buffer), "read string")
            return String(cChars: buffer)
        }
    }

    /// Whether the data set holds strings.
    public func holdsStrings() throws -> Bool {
        try HDF5Library.locked {
            let type = try location.check(H5Dget_type(id), "read element type")
            defer { _ = H5Tclose(type) }
            return H5Tget_class(type) == H5T_STRING
        }
    }
}

extension HDF5Group {
    /// Writes a fixed-length UTF-8 scalar string data set (as h5py writes `np.string_`).
    public func writeString(_ string: String, to name: String) throws {
        try HDF5Library.locked {
            let child = location.child(name)
            let bytes = Array(string.utf8)
            let type = try child.check(H5Tcopy(H5T_C_S1_g), "make string type")
            defer { _ = H5Tclose(type) }
            try child.check(H5Tset_size(type, max(bytes.count, 1)), "size string type")
            try child.check(H5Tset_cset(type, H5T_CSET_UTF8), "mark string as UTF-8")
            let space = try child.check(H5Screate(H5S_SCALAR), "make scalar space")
            defer { _ = H5Sclose(space) }
            // No modification times, so the same content gives the same bytes (the generators promise that).
            let properties = try child.check(H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g), "make data set properties")
            defer { _ = H5Pclose(properties) }
            try child.check(H5Pset_obj_track_times(properties, false), "turn off time tracking")
            let dataset = try child.check(H5Dcreate2(id, name, type, space, h5pDefault, properties, h5pDefault),
                                          "create data set")
            defer { _ = H5Dclose(dataset) }
            let padded = bytes.isEmpty ? [UInt8(0)] : bytes
            try child.check(padded.withUnsafeBytes { H5Dwrite(dataset, type, h5sAll, h5sAll, h5pDefault, $0.baseAddress) },
                            "write string")
        }
    }
}
