@preconcurrency import CHDF5
import Foundation

/// An open HDF5 group: lists and opens its members, creates groups and data sets, reads and writes
/// attributes.
public final class HDF5Group {
    let id: hid_t
    let location: HDF5Location

    init(id: hid_t, location: HDF5Location) {
        self.id = id
        self.location = location
    }

    /// The group's path inside its file, e.g. `/video_1`.
    public var path: String { location.object }

    /// Names of the links in this group, in HDF5's name order.
    public func memberNames() throws -> [String] {
        try HDF5Library.locked {
            var info = H5G_info_t()
            try location.check(H5Gget_info(id, &info), "list members")
            var names: [String] = []
            names.reserveCapacity(Int(info.nlinks))
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, h5pDefault)
                try location.check(Int64(length), "read member name \(index)")
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                let written = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer,
                                                 buffer.count, h5pDefault)
                try location.check(Int64(written), "read member name \(index)")
                names.append(String(cChars: buffer))
            }
            return names
        }
    }

    /// Whether a link with this name exists here (a plain name, not a path).
    public func contains(_ name: String) -> Bool {
        HDF5Library.locked {
            let answer = H5Lexists(id, name, h5pDefault)
            _ = HDF5Library.takeErrorStack()
            return answer > 0
        }
    }

    /// Whether the member `name` is a group (false when missing or a data set).
    public func isGroup(_ name: String) -> Bool { memberType(name) == H5I_GROUP }

    /// Whether the member `name` is a data set (false when missing or a group).
    public func isDataset(_ name: String) -> Bool { memberType(name) == H5I_DATASET }

    private func memberType(_ name: String) -> H5I_type_t? {
        HDF5Library.locked {
            guard H5Lexists(id, name, h5pDefault) > 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            let object = H5Oopen(id, name, h5pDefault)
            guard object >= 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            defer { _ = H5Oclose(object) }
            return H5Iget_type(object)
        }
    }

    public func group(_ name: String) throws -> HDF5Group {
        try HDF5Library.locked {
            let child = location.child(name)
            let group = try child.check(H5Gopen2(id, name, h5pDefault), "open group")
            return HDF5Group(id: group, location: child)
        }
    }

    public func dataset(_ name: String) throws -> HDF5Dataset {
        try HDF5Library.locked {
            let child = location.child(name)
            let dataset = try child.check(H5Dopen2(id, name, h5pDefault), "open data set")
            return HDF5Dataset(id: dataset, location: child)
        }
    }

    /// Creates a child group (no modification times recorded).
    public func createGroup(_ name: String) throws -> HDF5Group {
        try HDF5Library.locked {
            let child = location.child(name)
            let properties = try child.check(H5Pcreate(H5P_CLS_GROUP_CREATE_ID_g), "make group properties")
            defer { _ = H5Pclose(properties) }
            try child.check(H5Pset_obj_track_times(properties, false), "turn off time tracking")
            let group = try child.check(H5Gcreate2(id, name, h5pDefault, properties, h5pDefault), "create group")
            return HDF5Group(id: group, location: child)
        }
    }

    /// Writes `values` (row-major) as a new contiguous data set of the given shape.
    public func write<Element: HDF5Element>(_ values: [Element], shape: [Int], to name: String) throws {
        try HDF5Library.locked {
            let child = location.child(name)
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), count == values.count else {
                throw HDF5Error(file: child.file, object: child.object, operation: "write data set",
                                stack: ["\(values.count) values do not fill the shape \(shape)"])
            }
            let dataset = try createDataset(name, shape: shape, as: Element.self, at: child)
            defer { _ = H5Dclose(dataset) }
            if count > 0 {
                let status = values.withUnsafeBytes { buffer in
                    H5Dwrite(dataset, Element.memoryType, h5sAll, h5sAll, h5pDefault, buffer.baseAddress)
                }
                try child.check(status, "write data set")
            }
        }
    }

    /// Creates a data set of the given shape and element type without writing any values: HDF5 allocates
    /// its storage only when it is written, so a file can declare extents far beyond its own size (what a
    /// damaged or hostile file does; the readers must refuse it before allocating).
    public func declare<Element: HDF5Element>(_ name: String, shape: [Int], as _: Element.Type) throws {
        try HDF5Library.locked {
            _ = H5Dclose(try createDataset(name, shape: shape, as: Element.self, at: location.child(name)))
        }
    }

    /// A new data set of `shape` (no modification times, so files are byte-for-byte reproducible), open;
    /// the caller closes it. Runs inside `HDF5Library.locked`.
    private func createDataset<Element: HDF5Element>(_ name: String, shape: [Int], as _: Element.Type,
                                                     at child: HDF5Location) throws -> hid_t {
        var dims = shape.map { hsize_t($0) }
        let space = try child.check(H5Screate_simple(Int32(dims.count), &dims, nil), "make data space")
        defer { _ = H5Sclose(space) }
        let properties = try child.check(H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g), "make data set properties")
        defer { _ = H5Pclose(properties) }
        try child.check(H5Pset_obj_track_times(properties, false), "turn off time tracking")
        return try child.check(H5Dcreate2(id, name, Element.fileType, space, h5pDefault, properties, h5pDefault),
                               "create data set")
    }

    // MARK: Attributes

    /// A string attribute (fixed- or variable-length, as h5py writes them), or nil when absent.
    public func stringAttribute(_ name: String) throws -> String? {
        try HDF5Library.locked {
            guard H5Aexists(id, name) > 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            let place = HDF5Location(file: location.file, object: "\(location.object)@\(name)")
            let attribute = try place.check(H5Aopen(id, name, h5pDefault), "open attribute")
            defer { _ = H5Aclose(attribute) }
            let type = try place.check(H5Aget_type(attribute), "read attribute type")
            defer { _ = H5Tclose(type) }
            guard H5Tget_class(type) == H5T_STRING else {
                throw HDF5Error(file: place.file, object: place.object, operation: "read string attribute",
                                stack: ["the attribute is not a string"])
            }
            if H5Tis_variable_str(type) > 0 {
                let memoryType = try place.check(H5Tcopy(H5T_C_S1_g), "make string type")
                defer { _ = H5Tclose(memoryType) }
                try place.check(H5Tset_size(memoryType, Int(bitPattern: UInt(H5T_VARIABLE_SIZE))), "size string type")
                // HDF5 does not convert between ASCII and UTF-8 (h5py writes UTF-8): read as stored.
                try place.check(H5Tset_cset(memoryType, H5Tget_cset(type)), "match character set")
                var pointer: UnsafeMutablePointer<CChar>? = nil
                try place.check(H5Aread(attribute, memoryType, &pointer), "read attribute")
                defer { if let pointer { _ = H5free_memory(pointer) } }
                return pointer.map { String(cString: $0) } ?? ""
            }
            let size = H5Tget_size(type)
            var buffer = [CChar](repeating: 0, count: size + 1)
            try place.check(H5Aread(attribute, type, &buffer), "read attribute")
            return String(cChars: buffer)
        }
    }

    /// A numeric scalar attribute read as Double, or nil when absent.
    public func numberAttribute(_ name: String) throws -> Double? {
        try HDF5Library.locked {
            guard H5Aexists(id, name) > 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            let place = HDF5Location(file: location.file, object: "\(location.object)@\(name)")
            let attribute = try place.check(H5Aopen(id, name, h5pDefault), "open attribute")
            defer { _ = H5Aclose(attribute) }
            var value = 0.0
            try place.check(H5Aread(attribute, H5T_NATIVE_DOUBLE_g, &value), "read attribute as a number")
            return value
        }
    }

    /// Writes a fixed-length UTF-8 string attribute.
    public func setAttribute(_ name: String, string: String) throws {
        try HDF5Library.locked {
            let place = HDF5Location(file: location.file, object: "\(location.object)@\(name)")
            let bytes = Array(string.utf8)
            let type = try place.check(H5Tcopy(H5T_C_S1_g), "make string type")
            defer { _ = H5Tclose(type) }
            try place.check(H5Tset_size(type, max(bytes.count, 1)), "size string type")
            try place.check(H5Tset_cset(type, H5T_CSET_UTF8), "mark string as UTF-8")
            let space = try place.check(H5Screate(H5S_SCALAR), "make scalar space")
            defer { _ = H5Sclose(space) }
            let attribute = try place.check(H5Acreate2(id, name, type, space, h5pDefault, h5pDefault),
                                            "create attribute")
            defer { _ = H5Aclose(attribute) }
            let padded = bytes.isEmpty ? [UInt8(0)] : bytes
            try place.check(padded.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }, "write attribute")
        }
    }

    /// Writes a numeric scalar attribute.
    public func setAttribute<Element: HDF5Element>(_ name: String, value: Element) throws {
        try HDF5Library.locked {
            let place = HDF5Location(file: location.file, object: "\(location.object)@\(name)")
            let space = try place.check(H5Screate(H5S_SCALAR), "make scalar space")
            defer { _ = H5Sclose(space) }
            let attribute = try place.check(
                H5Acreate2(id, name, Element.fileType, space, h5pDefault, h5pDefault), "create attribute")
            defer { _ = H5Aclose(attribute) }
            let status = withUnsafeBytes(of: value) { H5Awrite(attribute, Element.memoryType, $0.baseAddress) }
            try place.check(status, "write attribute")
        }
    }

    deinit {
        HDF5Library.locked {
            _ = H5Gclose(id)
            _ = HDF5Library.takeErrorStack()
        }
    }
}

// H5T_VARIABLE is `((size_t)(-1))`, a macro Swift does not import.
let H5T_VARIABLE_SIZE = UInt64.max
