import Foundation
import Testing
@testable import NetbootServer

/// The Grafana dashboard under docs/ is valid JSON and asks only for metrics the appliance
/// exports (issue 20).
@Suite struct DashboardTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/grafana/netboot-dashboard.json")

    @Test func everyQueriedMetricIsExported() throws {
        let data = try Data(contentsOf: Self.file)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(json["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 15)
        let regex = try NSRegularExpression(pattern: "netboot_[a-z_]+")
        var names: Set<String> = []
        for expression in expressions {
            let range = NSRange(expression.startIndex..., in: expression)
            for match in regex.matches(in: expression, range: range) {
                guard let r = Range(match.range, in: expression) else { continue }
                var name = String(expression[r])
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
                names.insert(name)
            }
        }
        let unknown = names.subtracting(MetricHelp.texts.keys)
        #expect(unknown.isEmpty, "dashboard queries unknown metrics: \(unknown.sorted())")
        #expect(names.contains("netboot_dhcp_pool_addresses") && names.contains("netboot_bsdp_selections_total"))
    }
}
