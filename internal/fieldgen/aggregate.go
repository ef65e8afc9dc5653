//go:build !ios

package main

func genAggregate(g *gen) { g.p(header); g.p("package aggregate") }
