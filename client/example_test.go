package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/userport/userport/client"
)

// An export end to end: create the job, follow it, download its file.
func Example() {
	ctx := context.Background()
	c, err := client.New(client.Options{URL: "http://127.0.0.1:8080", ClientID: "my-client", ClientSecret: "my-secret"})
	if err != nil {
		log.Fatal(err)
	}
	job, err := c.CreateExport(ctx, client.ExportRequest{Format: "csv", Limit: 1000})
	if err != nil {
		log.Fatal(err) // e.g. server answered 401 Unauthorized (invalid_client): ...
	}
	job, err = c.Wait(ctx, job.ID, time.Second, func(j *client.Job) { fmt.Println(j.Status) })
	if err != nil {
		log.Fatal(err)
	}
	if job.Status != "completed" {
		log.Fatalf("export %s: %s", job.Status, job.StatusDetails)
	}
	saved, err := c.DownloadExport(ctx, job, "dev.csv.gz", false, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d users, %d bytes in %s\n", saved.Rows, saved.Bytes, saved.Path)
}
