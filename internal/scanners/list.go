package scanners

import (
	"github.com/rampart-security/rampart/internal/scanners/bandit"
	"github.com/rampart-security/rampart/internal/scanners/burp"
	"github.com/rampart-security/rampart/internal/scanners/cyclonedx"
	"github.com/rampart-security/rampart/internal/scanners/defectdojo"
	"github.com/rampart-security/rampart/internal/scanners/depcheck"
	"github.com/rampart-security/rampart/internal/scanners/generic"
	"github.com/rampart-security/rampart/internal/scanners/gitlabdast"
	"github.com/rampart-security/rampart/internal/scanners/gosec"
	"github.com/rampart-security/rampart/internal/scanners/grype"
	"github.com/rampart-security/rampart/internal/scanners/nessus"
	"github.com/rampart-security/rampart/internal/scanners/nexpose"
	"github.com/rampart-security/rampart/internal/scanners/npmaudit"
	"github.com/rampart-security/rampart/internal/scanners/openvas"
	"github.com/rampart-security/rampart/internal/scanners/osv"
	"github.com/rampart-security/rampart/internal/scanners/qualys"
	"github.com/rampart-security/rampart/internal/scanners/sarif"
	"github.com/rampart-security/rampart/internal/scanners/semgrep"
	"github.com/rampart-security/rampart/internal/scanners/snyk"
	"github.com/rampart-security/rampart/internal/scanners/trivy"
	"github.com/rampart-security/rampart/internal/scanners/zap"
)

// formats is the explicit list of supported formats, in detection order:
// more specific rules come before more general ones. Each format package
// exports its own Format values (name, aliases, detection rule, parser).
func formats() []Format {
	return []Format{
		sarif.Format,
		zap.FormatXML,
		zap.FormatJSON,
		nessus.Format,
		nessus.FormatCSV,
		nexpose.Format,
		openvas.Format,
		openvas.FormatCSV,
		depcheck.Format,
		depcheck.FormatJSON,
		burp.Format,
		qualys.Format,
		qualys.FormatCSV,
		qualys.FormatWAS,
		trivy.Format,
		grype.Format,
		bandit.Format,
		semgrep.Format,
		gosec.Format,
		osv.Format,
		npmaudit.Format,
		defectdojo.Format,
		generic.Format,
		generic.FormatCSV,
		gitlabdast.FormatSAST,
		gitlabdast.Format,
		snyk.Format,
		cyclonedx.Format,
		cyclonedx.FormatXML,
	}
}
