import BridgeCore
import Foundation

/// The web console's HTML pieces (docs/console.md): escaping, the page frame with its
/// navigation, tables and forms. Pure string building — every value from the store, the
/// services or the request goes through ``ConsoleHTML/escape(_:)``; no inline script or style
/// (the Content-Security-Policy forbids both).
enum ConsoleHTML {
    /// One page of the navigation, shown only to roles holding its scope.
    struct NavigationItem: Sendable {
        var path: String
        var title: String
        var scope: BridgeScope
    }

    static let navigation: [NavigationItem] = [
        NavigationItem(path: "/console/", title: "Overview", scope: .devicesRead),
        NavigationItem(path: "/console/clients", title: "Clients", scope: .devicesRead),
        NavigationItem(path: "/console/runs", title: "Runs", scope: .runsRead),
        NavigationItem(path: "/console/images", title: "Images", scope: .imagesRead),
        NavigationItem(path: "/console/leases", title: "Leases", scope: .leasesRead),
        NavigationItem(path: "/console/sequences", title: "Sequences", scope: .runsRead),
        NavigationItem(path: "/console/capture", title: "Capture", scope: .captureRun),
        NavigationItem(path: "/console/audit", title: "Audit log", scope: .auditRead),
    ]

    /// Who is looking: for the navigation, the forms' CSRF field and which buttons exist.
    struct Viewer: Sendable {
        var role: BridgeRole
        var tokenID: String
        var csrf: String

        func may(_ scope: BridgeScope) -> Bool { role.scopes.contains(scope) }
    }

    static func escape(_ text: String) -> String {
        // Most values (MACs, addresses, names) need nothing: hand them back as they are.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
            || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline never reach a page.
                if character.value < 0x20 && character != "\t" && character != "\n" { out += "\u{FFFD}" } else {
                    out.unicodeScalars.append(character)
                }
            }
        }
        return out
    }

    /// The whole document: head (stylesheet, deferred script), skip link, navigation with the
    /// current page marked, the logout form, then `body` inside `<main>`.
    /// `live` names the event topics the page's script subscribes to (`data-live`).
    static func page(title: String, current: String, viewer: Viewer?, live: String? = nil, attributes: [String: String] = [:],
                     body: String) -> String {
        var html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        html += "<title>\(escape(title)) — netboot console</title>"
        html += "<link rel=\"icon\" href=\"/console/static/icon.svg\" type=\"image/svg+xml\">"
        html += "<link rel=\"stylesheet\" href=\"/console/static/console.css\">"
        html += "<script src=\"/console/static/console.js\" defer></script></head>\n"
        var bodyAttributes = attributes
        if let live { bodyAttributes["data-live"] = live }
        html += "<body"
        for (name, value) in bodyAttributes.sorted(by: { $0.key < $1.key }) { html += " \(name)=\"\(escape(value))\"" }
        html += ">\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header><span class=\"brand\">netboot console</span>"
        if let viewer {
            html += "<nav aria-label=\"Pages\"><ul>"
            for item in navigation where viewer.may(item.scope) {
                let marker = item.path == current ? " aria-current=\"page\"" : ""
                html += "<li><a href=\"\(item.path)\"\(marker)>\(escape(item.title))</a></li>"
            }
            html += "</ul></nav>"
            html += "<form class=\"logout\" method=\"post\" action=\"/console/logout\">\(csrfField(viewer))"
            html += "<span class=\"who\">\(escape(viewer.role.rawValue)) · token \(escape(viewer.tokenID))</span>"
            html += "<button type=\"submit\">Log out</button></form>"
        }
        html += "</header>\n<main id=\"main\">\n<h1>\(escape(title))</h1>\n"
        html += "<p class=\"live-status\" id=\"live-status\" role=\"status\" aria-live=\"polite\"></p>\n"
        html += body
        html += "\n</main></body></html>\n"
        return html
    }

    static func csrfField(_ viewer: Viewer) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(viewer.csrf))\">"
    }

    /// A table with a caption and header cells; `rows` are already-escaped cell HTML.
    static func table(id: String, caption: String, headers: [String], rows: [[String]], rowAttributes: [String] = [],
                      empty: String) -> String {
        var html = "<table id=\"\(id)\"><caption>\(escape(caption))</caption><thead><tr>"
        for header in headers { html += "<th scope=\"col\">\(escape(header))</th>" }
        html += "</tr></thead><tbody>"
        for (index, row) in rows.enumerated() {
            let attributes = index < rowAttributes.count ? rowAttributes[index] : ""
            html += "<tr\(attributes)>"
            // `</td>` is implied (HTML's optional end tags): 8 bytes less per cell of a 1,000-row table.
            for cell in row { html += "<td>\(cell)" }
            html += "</tr>"
        }
        html += "</tbody></table>"
        if rows.isEmpty { html += "<p class=\"empty\" id=\"\(id)-empty\">\(escape(empty))</p>" }
        return html
    }

    /// A notice above a page's content (the outcome of an action).
    static func notice(_ text: String, error: Bool) -> String {
        "<p class=\"notice\(error ? " error" : "")\" role=\"\(error ? "alert" : "status")\">\(escape(text))</p>"
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "–" }
        return "<time datetime=\"\(date.formatted(.iso8601))\">\(escape(shortTime(date)))</time>"
    }

    static func shortTime(_ date: Date) -> String {
        let style = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
            .timeSeparator(.colon)
        return date.formatted(style).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
    }

    static func milliseconds(_ value: Int64?) -> String {
        guard let value else { return "–" }
        return time(Date(timeIntervalSince1970: Double(value) / 1000))
    }

    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value), unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\((amount * 10).rounded() / 10) \(units[unit])"
    }

    static func duration(seconds: Int64) -> String {
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
    }

    /// A search form (GET, so it works without script) over the table `table`.
    static func search(action: String, query: String, label: String, table: String) -> String {
        "<form class=\"search\" method=\"get\" action=\"\(action)\" role=\"search\"><label for=\"q\">\(escape(label))</label>"
            + "<input id=\"q\" name=\"q\" type=\"search\" value=\"\(escape(query))\" data-filter=\"\(table)\">"
            + "<button type=\"submit\">Search</button></form>"
    }
}
