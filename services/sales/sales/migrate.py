"""One-shot set-up of the sales service: `python -m sales.migrate` migrates and declares its queue."""
from crm_shared.migrations import set_up
from sales.config import SERVICE_ROOT, load_settings
from sales.handlers import HANDLERS

if __name__ == "__main__":
    set_up(load_settings(), SERVICE_ROOT, HANDLERS)
