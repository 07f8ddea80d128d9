"""One-shot set-up of the gateway: `python -m gateway.migrate` migrates, declares its queue, seeds demo users."""
from crm_shared.auth import ensure_key_pair
from crm_shared.migrations import set_up
from gateway import seed_demo
from gateway.config import GATEWAY_ROOT, load_settings
from gateway.handlers import HANDLERS


def main() -> None:
    settings = load_settings()
    set_up(settings.common, GATEWAY_ROOT, HANDLERS)
    # The first key pair, so the services have a public key before anyone logs in (a key is no
    # default password: outside demo mode there is still no user until create_admin makes one).
    ensure_key_pair(settings.common.jwt_key_dir)
    if settings.demo:
        seed_demo.run(settings)


if __name__ == "__main__":
    main()
