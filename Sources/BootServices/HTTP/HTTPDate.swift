/// HTTP-date (RFC 9110 §5.6.7): formats IMF-fixdate, parses IMF-fixdate, the obsolete RFC 850
/// form and asctime. Times are whole seconds since the Unix epoch, UTC; no clock is read here.
public enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`. Years outside 0…9999 are clamped to that span.
    public static func format(secondsSinceEpoch: Int64) -> String {
        let clamped = min(max(secondsSinceEpoch, -62_167_219_200), 253_402_300_799)
        var days = clamped / 86_400
        var seconds = clamped % 86_400
        if seconds < 0 { seconds += 86_400; days -= 1 }
        let weekday = Int(((days % 7) + 7) % 7)
        let (year, month, day) = civil(fromDays: days)
        var out = ""
        out.reserveCapacity(29)
        out += Self.days[weekday]
        out += ", "
        append2(Int(day), to: &out)
        out += " "
        out += months[Int(month) - 1]
        out += " "
        append4(Int(year), to: &out)
        out += " "
        append2(Int(seconds / 3600), to: &out)
        out += ":"
        append2(Int(seconds / 60 % 60), to: &out)
        out += ":"
        append2(Int(seconds % 60), to: &out)
        out += " GMT"
        return out
    }

    /// Parses any of the three HTTP-date forms; nil if the value is none of them.
    public static func parse(_ text: Substring) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        var day: Int64, month: Int64, year: Int64, time: Substring
        if parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard let d = Int64(parts[1]), let m = monthNumber(parts[2]), let y = Int64(parts[3]),
                  parts[3].count == 4 else { return nil }
            (day, month, year, time) = (d, m, y, parts[4])
        } else if parts.count == 4, parts[0].hasSuffix(","), parts[3] == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let dmy = parts[1].split(separator: "-")
            guard dmy.count == 3, let d = Int64(dmy[0]), let m = monthNumber(dmy[1]),
                  let yy = Int64(dmy[2]), dmy[2].count == 2 else { return nil }
            // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the past century.
            (day, month, year, time) = (d, m, yy < 70 ? 2000 + yy : 1900 + yy, parts[2])
        } else if parts.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            guard let m = monthNumber(parts[1]), let d = Int64(parts[2]), let y = Int64(parts[4]),
                  parts[4].count == 4 else { return nil }
            (day, month, year, time) = (d, m, y, parts[3])
        } else {
            return nil
        }
        let hms = time.split(separator: ":")
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 }),
              let h = Int64(hms[0]), let mi = Int64(hms[1]), let s = Int64(hms[2]),
              (0...23).contains(h), (0...59).contains(mi), (0...60).contains(s),
              (1...31).contains(day) else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + h * 3600 + mi * 60 + s
    }

    private static func monthNumber(_ name: Substring) -> Int64? {
        months.firstIndex { $0 == name }.map { Int64($0 + 1) }
    }

    // Howard Hinnant's civil-from-days algorithms (proleptic Gregorian calendar).
    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func append2(_ value: Int, to out: inout String) {
        if value < 10 { out += "0" }
        out += String(value)
    }

    private static func append4(_ value: Int, to out: inout String) {
        if value < 1000 { out += "0" }
        if value < 100 { out += "0" }
        if value < 10 { out += "0" }
        out += String(value)
    }
}
