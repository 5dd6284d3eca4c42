package netstate

// Windows' NLM_CONNECTION_COST flags (netlistmgr.h), which
// INetworkCostManager.GetCost reports for the machine's connections.
const (
	costUnrestricted  = 0x1
	costFixed         = 0x2 // a data plan with a cap
	costVariable      = 0x4 // paid by the byte
	costOverDataLimit = 0x10000
	costRoaming       = 0x40000
)

// costMetered follows Windows' own guidance for apps: a connection that is
// unrestricted, or whose cost is unknown (no flag), is free to use; a
// capped or per-byte plan, one over its limit or roaming, is metered.
func costMetered(cost uint32) bool {
	return cost&(costFixed|costVariable|costOverDataLimit|costRoaming) != 0
}
