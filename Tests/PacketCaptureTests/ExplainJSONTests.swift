import Foundation
import Testing
@testable import PacketCapture

/// `netboot explain --mac MAC --json` for a Mac: the same verdicts as the text (issue 20).
@Suite struct ExplainJSONTests {
    @Test func jsonCarriesEveryVerdictAndTheDefault() throws {
        let explanation = ExplainTests.explain()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(explanation.json.utf8)) as? [String: Any])
        let images = try #require(object["images"] as? [[String: Any]])
        #expect(images.count == 8)
        #expect(images[0]["name"] as? String == "Offered" && images[0]["offered"] as? Bool == true
                    && images[0]["default"] as? Bool == true)
        #expect(images[1]["offered"] as? Bool == false && images[1]["default"] as? Bool == false)
        #expect((images[1]["reasons"] as? [String])?.first?.contains("disabled") == true)
        #expect(object["answers"] as? Bool == true && object["defaultImage"] as? String == "0x01000001")
        #expect(object["defaultBasis"] as? String == "is-default" && object["inventoryUsed"] as? Bool == false)
        let client = try #require(object["client"] as? [String: Any])
        #expect(client["mac"] as? String == "00:1c:42:00:00:01" && client["model"] as? String == "MacBookPro11,1")
    }
}
