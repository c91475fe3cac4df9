#!/usr/bin/env python3
"""Write a Yocto-shaped SPDX 2.2 bundle (IMAGE.spdx.tar, then zstd it).

Follows openembedded-core meta/classes/create-spdx-2.2.bbclass at
9a622a2062f421542a4c78f5fd179ede283869d6 (the last revision with SPDX 2.2,
the parent of 12abd0574c "Remove SPDX 2.2 support") and meta/lib/oe/spdx.py,
sbom.py there: see README.md. Nothing here is taken from a real build.

usage: make-bundle.py OUT.spdx.tar [--packages N] [--omit DOCNAME ...]
"""
import argparse
import hashlib
import io
import json
import tarfile
import uuid

CREATED = "2024-05-01T12:00:00Z"
ORG = "OpenEmbedded ()"
SUPPLIER = "Organization: " + ORG
PREFIX = "http://spdx.org/spdxdocs"
NS_UUID = uuid.uuid5(uuid.NAMESPACE_DNS, "spdx.org")  # SPDX_UUID_NAMESPACE default
MACHINE = "qemux86-64"
IMAGE = "core-image-minimal"
IMAGE_NAME = IMAGE + "-" + MACHINE + ".rootfs-20240501120000"

# recipe: (PV, LICENSE, CVE_PRODUCT, [binary packages], [build deps])
RECIPES = {
    "busybox": ("1.36.1", "GPL-2.0-only & bzip2-1.0.6", "busybox:busybox", ["busybox"], []),
    "openssl": ("3.2.1", "Apache-2.0", "openssl:openssl", ["libcrypto3", "libssl3"], ["zlib"]),
    "zlib": ("1.3.1", "Zlib", "zlib:zlib", ["libz1"], []),
    "base-files": ("3.0.14", "GPL-2.0-only", "base-files", ["base-files"], []),
}
# package RDEPENDS (runtime documents)
RDEPENDS = {"libssl3": ["libcrypto3"], "libcrypto3": ["libz1"], "busybox": []}


def namespace(name):  # get_namespace
    return "%s/%s-%s" % (PREFIX, name, uuid.uuid5(NS_UUID, name))


def document(name, comment):
    return {
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {
            "comment": comment,
            "created": CREATED,
            "creators": ["Tool: OpenEmbedded Core create-spdx.bbclass", "Organization: " + ORG, "Person: N/A ()"],
            "licenseListVersion": "3.20",
        },
        "dataLicense": "CC0-1.0",
        "documentNamespace": namespace(name),
        "externalDocumentRefs": [],
        "files": [],
        "hasExtractedLicensingInfos": [],
        "name": name,
        "packages": [],
        "relationships": [],
        "spdxVersion": "SPDX-2.2",
    }


def package(name, spdxid, version, **kw):  # SPDXPackage defaults
    p = {
        "SPDXID": spdxid,
        "copyrightText": "NOASSERTION",
        "downloadLocation": "NOASSERTION",
        "externalRefs": [],
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "licenseInfoFromFiles": ["NOASSERTION"],
        "name": name,
        "supplier": SUPPLIER,
        "versionInfo": version,
    }
    p.update(kw)
    return p


def rel(a, typ, b):
    return {"relatedSpdxElement": b, "relationshipType": typ, "spdxElementId": a}


def serialise(doc):  # SPDXDocument.to_json(sort_keys=True), oe.sbom.write_doc
    data = json.dumps(doc, sort_keys=True).encode()
    return data, hashlib.sha1(data).hexdigest()


def extref(ident, doc, sha1):
    return {"checksum": {"algorithm": "SHA1", "checksumValue": sha1}, "externalDocumentId": ident, "spdxDocument": doc["documentNamespace"]}


def spdx_license(lic):  # convert_license_to_spdx, for the simple expressions used here
    return lic.replace("&", "AND").replace("|", "OR")


def build(n_extra):
    recipes = dict(RECIPES)
    rdepends = dict(RDEPENDS)
    for i in range(n_extra):  # generated packages, for the performance figure
        r = "gen%04d" % i
        recipes[r] = ("1.%d" % i, "MIT", r, [r], ["zlib"])
        rdepends[r] = ["libz1"]
    docs = {}  # name -> (doc, data, sha1)
    recipe_docs = {}
    # do_create_spdx, in dependency order: recipe documents, then packages.
    order = sorted(recipes, key=lambda r: (r != "zlib", r))
    pkg_recipe = {}
    for r in order:
        pv, lic, cve_product, pkgs, deps = recipes[r]
        doc = document("recipe-" + r, "This document was created by analyzing recipe files during the build.")
        recipe = package(r, "SPDXRef-Recipe-" + r, pv, licenseDeclared=spdx_license(lic))
        for product in cve_product.split():  # oe.cve_check.get_cpe_ids
            vendor, product = product.split(":", 1) if ":" in product else ("*", product)
            recipe["externalRefs"].append({"referenceCategory": "SECURITY", "referenceLocator": "cpe:2.3:*:%s:%s:%s:*:*:*:*:*:*:*" % (vendor, product, pv), "referenceType": "cpe23Type"})
        for dep in deps:  # collect_dep_recipes
            dd, _, dsha = recipe_docs[dep]
            ident = "DocumentRef-dependency-" + dd["name"]
            doc["externalDocumentRefs"].append(extref(ident, dd, dsha))
            doc["relationships"].append(rel("%s:SPDXRef-Recipe-%s" % (ident, dep), "BUILD_DEPENDENCY_OF", recipe["SPDXID"]))
        doc["packages"].append(recipe)
        doc["relationships"].append(rel("SPDXRef-DOCUMENT", "DESCRIBES", recipe["SPDXID"]))
        data, sha = serialise(doc)
        recipe_docs[r] = docs[doc["name"]] = (doc, data, sha)
        recipe_ref = extref("DocumentRef-recipe-" + r, doc, sha)
        for pkg in pkgs:
            pdoc = document(pkg, "This document was created by analyzing packages created during the build.")
            pdoc["externalDocumentRefs"].append(recipe_ref)
            p = package(pkg, "SPDXRef-Package-" + pkg, pv, licenseDeclared=spdx_license(lic))
            if pkg == "busybox":  # add_package_files
                f = {"SPDXID": "SPDXRef-PackagedFile-busybox-1", "checksums": [{"algorithm": "SHA1", "checksumValue": "0" * 40}, {"algorithm": "SHA256", "checksumValue": "0" * 64}],
                     "copyrightText": "NOASSERTION", "fileName": "/bin/busybox.nosuid", "fileTypes": ["BINARY"], "licenseConcluded": "NOASSERTION", "licenseInfoInFiles": ["NOASSERTION"]}
                pdoc["files"].append(f)
                p["hasFiles"] = [f["SPDXID"]]
                p["packageVerificationCode"] = {"packageVerificationCodeValue": hashlib.sha1(("0" * 40).encode()).hexdigest()}
                pdoc["relationships"].append(rel(p["SPDXID"], "CONTAINS", f["SPDXID"]))
            pdoc["packages"].append(p)
            pdoc["relationships"].append(rel(p["SPDXID"], "GENERATED_FROM", "DocumentRef-recipe-%s:SPDXRef-Recipe-%s" % (r, r)))
            pdoc["relationships"].append(rel("SPDXRef-DOCUMENT", "DESCRIBES", p["SPDXID"]))
            docs[pkg] = (pdoc,) + serialise(pdoc)
            pkg_recipe[pkg] = r
    # do_create_runtime_spdx
    for pkg in sorted(pkg_recipe):
        pdoc, _, psha = docs[pkg]
        rdoc = document("runtime-" + pkg, "This document was created by analyzing package runtime dependencies.")
        pref = extref("DocumentRef-package-" + pkg, pdoc, psha)
        rdoc["externalDocumentRefs"].append(pref)
        rdoc["relationships"].append(rel("SPDXRef-DOCUMENT", "AMENDS", "DocumentRef-package-%s:SPDXRef-DOCUMENT" % pkg))
        for dep in rdepends.get(pkg, []):
            ddoc, _, dsha = docs[dep]
            ident = "DocumentRef-runtime-dependency-" + dep
            rdoc["externalDocumentRefs"].append(extref(ident, ddoc, dsha))
            rdoc["relationships"].append(rel("%s:SPDXRef-Package-%s" % (ident, dep), "RUNTIME_DEPENDENCY_OF", "DocumentRef-package-%s:SPDXRef-Package-%s" % (pkg, pkg)))
        docs[rdoc["name"]] = (rdoc,) + serialise(rdoc)
    # combine_spdx: the image document, CONTAINS each installed package.
    idoc = document(IMAGE_NAME, "This document was created by analyzing the source of the Yocto recipe during the build.")
    image = package(IMAGE, "SPDXRef-Image-" + IMAGE_NAME, "1.0")
    idoc["packages"].append(image)
    for pkg in sorted(p for p in pkg_recipe if p != "libssl3"):  # libssl3 is built, not installed
        pdoc, _, psha = docs[pkg]
        idoc["externalDocumentRefs"].append(extref("DocumentRef-" + pkg, pdoc, psha))
        idoc["relationships"].append(rel(image["SPDXID"], "CONTAINS", "DocumentRef-%s:SPDXRef-Package-%s" % (pkg, pkg)))
        rdoc, _, rsha = docs["runtime-" + pkg]
        idoc["externalDocumentRefs"].append(extref("DocumentRef-runtime-" + pkg, rdoc, rsha))
        r = rel(image["SPDXID"], "OTHER", "DocumentRef-runtime-%s:SPDXRef-DOCUMENT" % pkg)
        r["comment"] = "Runtime dependencies for %s" % pkg
        idoc["relationships"].append(r)
    docs[IMAGE_NAME] = (idoc,) + serialise(idoc)
    # collect_spdx_document: what the image document refers to, transitively.
    by_ns = {d["documentNamespace"]: name for name, (d, _, _) in docs.items()}
    seen, out = set(), []

    def collect(name):
        if name in seen:
            return
        seen.add(name)
        out.append(name)
        for ref in docs[name][0]["externalDocumentRefs"]:
            collect(by_ns[ref["spdxDocument"]])
    collect(IMAGE_NAME)
    return docs, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--packages", type=int, default=0, help="generated packages added to the image")
    ap.add_argument("--omit", action="append", default=[], help="leave this document out of the bundle")
    a = ap.parse_args()
    docs, names = build(a.packages)
    index = {"documents": []}
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            if name in a.omit:
                continue
            doc, data, sha = docs[name]
            info = tarfile.TarInfo(name + ".spdx.json")
            info.size, info.mtime, info.uname, info.gname = len(data), 1714564800, "root", "root"
            tar.addfile(info, io.BytesIO(data))
            index["documents"].append({"filename": info.name, "documentNamespace": doc["documentNamespace"], "sha1": sha})
        index["documents"].sort(key=lambda x: x["filename"])
        data = json.dumps(index, sort_keys=True).encode()
        info = tarfile.TarInfo("index.json")
        info.size, info.uname, info.gname = len(data), "root", "root"
        tar.addfile(info, io.BytesIO(data))


main()
