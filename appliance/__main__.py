"""`python -m appliance` and the PyInstaller entry point. Main thread."""

from appliance.cli import main

if __name__ == "__main__":
    main()
