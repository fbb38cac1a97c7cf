Feature: Unresolved deposits are brought to a final status by the merchant's resolution
  The merchant resolves an unresolved invoice by recalculating it at the current rate or by refunding it.
  A recalculation completes the invoice at a new price, and the customer is credited that new price;
  a refund of an underpaid or late payment ends the invoice refunded with nothing credited; a refund of an
  overpayment returns the excess and completes the invoice at its original price.

  Background:
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto

  @checklist_1 @checklist_9 @checklist_11 @checklist_12
  Scenario: An underpaid deposit recalculated at the current rate credits the new, lower price
    Given the account leaves underpaid invoices for the merchant to resolve
    And the customer has paid only half of the deposit
    And the deposit has expired
    And Cryptopay has reported the deposit as unresolved (underpaid)
    When the merchant resolves the deposit by recalculation
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows the deposit's final price

  @checklist_1 @checklist_9 @checklist_11 @checklist_12 @negative
  Scenario: An underpaid deposit refunded to the payer credits nothing
    Given the account leaves underpaid invoices for the merchant to resolve
    And the customer has paid only half of the deposit
    And the deposit has expired
    And Cryptopay has reported the deposit as unresolved (underpaid)
    When the merchant resolves the deposit by refund
    Then Cryptopay reports the deposit as refunded
    And the merchant records the deposit as refunded
    And the customer has not been credited

  @checklist_2 @checklist_9 @checklist_11 @checklist_12
  Scenario: An overpaid deposit refunded of the excess credits the original price
    Given the account leaves overpaid invoices for the merchant to resolve
    And the customer has paid twice the amount of the deposit
    And Cryptopay has reported the deposit as unresolved (overpaid)
    When the merchant resolves the deposit by refund
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows 100.00 EUR

  @checklist_2 @checklist_9 @checklist_11 @checklist_12
  Scenario: An overpaid deposit recalculated at the current rate credits the new, higher price
    Given the account leaves overpaid invoices for the merchant to resolve
    And the customer has paid twice the amount of the deposit
    And Cryptopay has reported the deposit as unresolved (overpaid)
    When the merchant resolves the deposit by recalculation
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows the deposit's final price

  @checklist_3 @checklist_9 @checklist_11 @checklist_12
  Scenario: A late payment recalculated at the current rate credits the new price
    Given the account leaves paid_late invoices for the merchant to resolve
    And the deposit has expired
    And the customer has paid the exact amount of the deposit
    And Cryptopay has reported the deposit as unresolved (paid_late)
    When the merchant resolves the deposit by recalculation
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows the deposit's final price

  @checklist_3 @checklist_9 @checklist_11 @checklist_12 @negative
  Scenario: A late payment refunded to the payer credits nothing
    Given the account leaves paid_late invoices for the merchant to resolve
    And the deposit has expired
    And the customer has paid the exact amount of the deposit
    And Cryptopay has reported the deposit as unresolved (paid_late)
    When the merchant resolves the deposit by refund
    Then Cryptopay reports the deposit as refunded
    And the merchant records the deposit as refunded
    And the customer has not been credited
