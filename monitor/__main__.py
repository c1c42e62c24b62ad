from monitor.cli import main

# The guard matters: parse workers are spawned processes, which import the main module.
if __name__ == "__main__":
    main()
