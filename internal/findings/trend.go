package findings

// TrendPoint is the number of active findings per severity on one day.
type TrendPoint struct {
	Day        string           `json:"day"`
	BySeverity map[Severity]int `json:"by_severity"`
	Total      int              `json:"total"`
}
