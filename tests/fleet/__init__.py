"""Fleet tests (issue 17): hubs and a gateway over a real Mosquitto started by `broker.Broker`."""
