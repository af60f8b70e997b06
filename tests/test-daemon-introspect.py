#!/usr/bin/env python3
"""Compares the org.hvd1 interfaces in daemon/org.hvd1.xml (the contract) with what the
running hvd introspects: same methods with the same argument types and directions, same
signals, same properties with the same types and access. Usage: CONTRACT LIVE-XML..."""
import sys
import xml.etree.ElementTree as ET


def interfaces(text):
    out = {}
    for iface in ET.fromstring(text).iter("interface"):
        name = iface.get("name")
        if not name.startswith("org.hvd1."):
            continue
        members = {}
        for m in iface:
            if m.tag == "method":
                members["method " + m.get("name")] = [(a.get("type"), a.get("direction", "in")) for a in m.findall("arg")]
            elif m.tag == "signal":
                members["signal " + m.get("name")] = [a.get("type") for a in m.findall("arg")]
            elif m.tag == "property":
                members["property " + m.get("name")] = (m.get("type"), m.get("access"))
        out[name] = members
    return out


def main():
    contract = interfaces(open(sys.argv[1]).read())
    live = {}
    for path in sys.argv[2:]:
        live.update(interfaces(open(path).read()))
    bad = 0
    for iface, members in contract.items():
        if iface not in live:
            print(f"{iface}: in the contract, not served by hvd")
            bad += 1
            continue
        for k, v in members.items():
            if k not in live[iface]:
                print(f"{iface}: {k} is missing from hvd")
                bad += 1
            elif live[iface][k] != v:
                print(f"{iface}: {k} differs: contract {v}, hvd {live[iface][k]}")
                bad += 1
        for k in live[iface]:
            if k not in members:
                print(f"{iface}: hvd serves {k}, which the contract does not list")
                bad += 1
    for iface in live:
        if iface not in contract:
            print(f"{iface}: served by hvd, not in the contract")
            bad += 1
    print("introspection matches the contract" if bad == 0 else f"{bad} difference(s)")
    return 1 if bad else 0


sys.exit(main())
