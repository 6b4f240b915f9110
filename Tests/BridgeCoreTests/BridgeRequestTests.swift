import Foundation
import NetbootWire
import Testing
@testable import BridgeCore

@Suite struct BridgeRequestTests {
    func error<T>(_ body: String, _ decode: (Data) throws(RequestBodyError) -> T) -> String? {
        do {
            _ = try decode(Data(body.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    @Test func enrollmentReadsEveryField() throws {
        let request = try EnrollmentRequest.decode(Data(#"{"mac":"AA:BB:CC:00:11:22","serial":"C02X","model":"Macmini8,1","hostname":"lab-1","os_version":"14.4"}"#.utf8))
        #expect(request == EnrollmentRequest(mac: MACAddress("aa:bb:cc:00:11:22")!, serial: "C02X", model: "Macmini8,1",
                                             hostname: "lab-1", osVersion: "14.4"))
    }

    @Test func enrollmentErrorsNameTheField() {
        #expect(error(#"{"serial":"x"}"#, EnrollmentRequest.decode) == "field 'mac': missing")
        #expect(error(#"{"mac":"nope"}"#, EnrollmentRequest.decode) == "field 'mac': expected a MAC address (aa:bb:cc:dd:ee:ff)")
        #expect(error(#"{"mac":"aa:bb:cc:00:11:22","serial":7}"#, EnrollmentRequest.decode) == "field 'serial': expected a string, found a number")
        #expect(error(#"{"mac":"aa:bb:cc:00:11:22","admin":true}"#, EnrollmentRequest.decode) == "field 'admin': unknown field")
        #expect(error(#"{"mac":"aa:bb:cc:00:11:22","hostname":"a\u0007b"}"#, EnrollmentRequest.decode) == "field 'hostname': contains control characters")
        #expect(error(#"{"mac":"#, EnrollmentRequest.decode) == "the body is not JSON")
        #expect(error(#"["mac"]"#, EnrollmentRequest.decode) == "expected an object, found a list")
        #expect(error("", EnrollmentRequest.decode) == "the body is not JSON")
    }

    @Test func statusReportsPairStartAndFinish() throws {
        let start = try ClientReport.decode(Data(#"{"sequence":1,"kind":"status","data":{"run":"r1","step":"Partition","group":"Prepare","phase":"start"}}"#.utf8))
        #expect(start.sequence == 1 && start.kind == .status)
        #expect(error(#"{"sequence":2,"kind":"status","data":{"run":"r1","step":"Partition","phase":"finish"}}"#, ClientReport.decode)
                == "field 'data.result': missing (required when phase is finish)")
        #expect(error(#"{"sequence":2,"kind":"status","data":{"run":"r1","step":"P","phase":"start","result":"failed"}}"#, ClientReport.decode)
                == "field 'data.result': only allowed when phase is finish")
        #expect(error(#"{"sequence":2,"kind":"status","data":{"run":"r1","step":"P","phase":"middle"}}"#, ClientReport.decode)
                == "field 'data.phase': expected one of start, finish")
        #expect(error(#"{"sequence":2,"kind":"status","data":{"run":"r1","step":"P","phase":"start","extra":1}}"#, ClientReport.decode)
                == "field 'data.extra': unknown field")
    }

    @Test func reportEnvelopeErrors() {
        #expect(error(#"{"kind":"log","data":{}}"#, ClientReport.decode) == "field 'sequence': missing")
        #expect(error(#"{"sequence":0,"kind":"log","data":{}}"#, ClientReport.decode)?.hasPrefix("field 'sequence': expected an integer") == true)
        #expect(error(#"{"sequence":1.5,"kind":"log","data":{}}"#, ClientReport.decode)?.hasPrefix("field 'sequence': expected an integer") == true)
        #expect(error(#"{"sequence":1,"kind":"tweet","data":{}}"#, ClientReport.decode) == "field 'kind': expected one of status, inventory, log")
        #expect(error(#"{"sequence":1,"kind":"log"}"#, ClientReport.decode) == "field 'data': missing")
        #expect(error(#"{"sequence":1,"kind":"log","data":[]}"#, ClientReport.decode) == "field 'data': expected an object, found a list")
        #expect(error(#"{"sequence":1,"kind":"log","data":{"name":"a"}}"#, ClientReport.decode) == "field 'data.text': missing")
        #expect(error(#"{"sequence":1,"kind":"inventory","data":{"disks":[1]}}"#, ClientReport.decode)
                == "field 'data.disks': expected a string, number or boolean, found a list")
        #expect(error(#"{"sequence":1,"kind":"log","data":{"name":"a","text":"b"},"x":1}"#, ClientReport.decode) == "field 'x': unknown field")
    }

    @Test func logTextMayHoldControlCharacters() throws {
        let report = try ClientReport.decode(Data(#"{"sequence":9,"kind":"log","data":{"name":"install.log","text":"line\u001b[31m\nnext"}}"#.utf8))
        #expect(report.kind == .log)
    }

    @Test func tokenIssueRequest() throws {
        #expect(try TokenIssueRequest.decode(Data(#"{"role":"enrollment","ttl_seconds":3600,"label":"lab"}"#.utf8))
                == TokenIssueRequest(role: .enrollment, ttlSeconds: 3600, label: "lab"))
        #expect(error(#"{"role":"root"}"#, TokenIssueRequest.decode)?.hasPrefix("field 'role': expected one of administrator") == true)
        #expect(error(#"{"role":"enrollment","ttl_seconds":-1}"#, TokenIssueRequest.decode)?.hasPrefix("field 'ttl_seconds'") == true)
    }
}
