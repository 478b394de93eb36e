from workflows import Workflows

flows = Workflows()

if __name__ == "__main__":
    print(flows.quote({"items": []}), len(flows.running_orders()))
    flows.approve("token", True)
