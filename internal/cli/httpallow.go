package cli

import "github.com/spf13/cobra"

// addHTTPAllowFlag adds --http-template-allow, shared by run and server.
func addHTTPAllowFlag(cmd *cobra.Command, dst *[]string) {
	cmd.Flags().StringSliceVar(dst, "http-template-allow", nil,
		"where http templates may connect: CIDRs, IP addresses, host names or *.domain, comma-separated or repeated; checked on every connection after DNS and on redirects "+
			"(default: anywhere; for server, anywhere but its own host: loopback, link-local and unspecified addresses)")
}
