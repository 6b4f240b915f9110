/// The HTML index of a directory, served only when directory listing is configured.
enum HTTPDirectoryListing {
    static func html(path: String, names: [String]) -> String {
        let title = escape(path)
        var out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of \(title)</title></head>\n"
            + "<body><h1>Index of \(title)</h1>\n<ul>\n"
        if path != "/" { out += "<li><a href=\"../\">../</a></li>\n" }
        for name in names {
            out += "<li><a href=\"\(escape(percentEncode(name)))\">\(escape(name))</a></li>\n"
        }
        return out + "</ul></body></html>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Percent-encodes everything but unreserved characters and a trailing `/`.
    static func percentEncode(_ name: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF".utf8)
        for (index, byte) in name.utf8.enumerated() {
            let isTrailingSlash = byte == UInt8(ascii: "/") && index == name.utf8.count - 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where isTrailingSlash:
                out += "/"
            default:
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }
}
