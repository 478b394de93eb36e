from storage import load_contract, save_contract

if __name__ == "__main__":
    save_contract("c-1", b"%PDF-1.4")
    print(len(load_contract("c-1")))
