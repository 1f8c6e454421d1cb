// Minimal stand-in for a prover: reads its config path and serves /health.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

var version = "dev"

func main() {
	config := flag.String("config", "/etc/node/prover.toml", "configuration file")
	listen := flag.String("listen", "127.0.0.1:8546", "health endpoint address")
	flag.Parse()
	if _, err := os.Stat(*config); err != nil {
		log.Fatalf("prover %s: %v", version, err)
	}
	http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "ok %s\n", version)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
